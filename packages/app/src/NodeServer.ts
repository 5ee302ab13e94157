import { createServer, type Server } from "node:http"
import type { ServerLimits } from "./Config.js"

/**
 * How often node:http looks for connections past their headers or request timeout: its default
 * (30 s) would let a slow client keep a connection up to that much longer than the timeout says.
 */
const CONNECTIONS_CHECKING_INTERVAL_MS = 1000

/**
 * The node:http server the app listens with: a client that sends its headers or its request too
 * slowly is answered 408 and cut off, and connections beyond `maxConnections` are closed as they
 * arrive, so slow or numerous clients cannot hold every socket.
 */
export const createNodeServer = (limits: ServerLimits): Server => {
  const server = createServer({
    headersTimeout: limits.headersTimeoutSeconds * 1000,
    requestTimeout: limits.requestTimeoutSeconds * 1000,
    connectionsCheckingInterval: CONNECTIONS_CHECKING_INTERVAL_MS,
  })
  server.maxConnections = limits.maxConnections
  return server
}
