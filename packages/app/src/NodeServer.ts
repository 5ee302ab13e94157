import { createServer, type Server, STATUS_CODES } from "node:http"
import type { Duplex } from "node:stream"
import type { ServerLimits } from "./Config.js"

/**
 * How often node:http looks for connections past their headers or request timeout: its default
 * (30 s) would let a slow client keep a connection up to that much longer than the timeout says.
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1000

/** What node:http refuses before the app sees a request, as the problem the app would answer. */
const refusalOf = (code: unknown) => {
  switch (code) {
    case "ERR_HTTP_REQUEST_TIMEOUT":
      return { status: 408, code: "request_timeout", detail: "the request was not received in time" }
    case "HPE_HEADER_OVERFLOW":
      return { status: 431, code: "headers_too_large", detail: "the request's headers are too large" }
    default:
      return { status: 400, code: "malformed_request", detail: "the request is not valid HTTP/1.1" }
  }
}

/**
 * A request node:http cannot parse, or one too slow, is answered with a problem+json like every
 * other refusal (node's own answer is a bare status line), then the connection is closed.
 */
const answerClientError = (error: Error & { readonly code?: unknown }, socket: Duplex) => {
  // As node's own handler: no answer on a connection gone, or whose response has begun.
  const response: unknown = Reflect.get(socket, "_httpMessage")
  const responseBegun =
    typeof response === "object" && response !== null && Reflect.get(response, "_headerSent") === true
  if (!socket.writable || responseBegun || error.code === "ECONNRESET") {
    socket.destroy()
    return
  }
  const refusal = refusalOf(error.code)
  const title = STATUS_CODES[refusal.status] ?? "Bad Request"
  const body = JSON.stringify({ type: `urn:userkit:problem:${refusal.code}`, title, ...refusal })
  socket.end(
    `HTTP/1.1 ${refusal.status} ${title}\r\ncontent-type: application/problem+json\r\n` +
      `content-length: ${Buffer.byteLength(body)}\r\ncache-control: no-store\r\n` +
      `x-content-type-options: nosniff\r\nconnection: close\r\n\r\n${body}`,
  )
}

/**
 * The node:http server the app listens with: a client that sends its headers or its request too
 * slowly is answered 408 and cut off, and connections beyond `maxConnections` are closed as they
 * arrive, so slow or numerous clients cannot hold every socket. What it refuses itself is
 * problem+json too.
 */
export const createNodeServer = (limits: ServerLimits): Server => {
  const server = createServer({
    headersTimeout: limits.headersTimeoutSeconds * 1000,
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
  })
  server.maxConnections = limits.maxConnections
  server.on("clientError", answerClientError)
  return server
}
