import { connect, type Socket } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted } from "effect"
import { AppConfig, appLayer } from "../src/index.js"
import { createNodeServer } from "../src/NodeServer.js"
import { freePort } from "./support/serverProcess.js"

/** The whole app on the memory store, on the node:http server `main.ts` makes, until the test's scope ends. */
const startApp = (extraEnv: Record<string, string> = {}) =>
  Effect.gen(function* () {
    const port = yield* Effect.promise(freePort)
    const env = { PORT: String(port), USERKIT_STORE: "memory", BCRYPT_COST: "4", LOG_LEVEL: "off", ...extraEnv }
    const config = yield* AppConfig.pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    )
    yield* Layer.build(appLayer(config, Redacted.make("s".repeat(32)), () => createNodeServer(config.server)))
    return { port, url: `http://127.0.0.1:${port}` }
  })

const base64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url")
const algNone = `${base64url({ alg: "none", typ: "JWT" })}.${base64url({ sub: "0190a000-0000-7000-8000-000000000001", exp: 4102444800 })}.`
const nested = `{"email":${"[".repeat(5000)}${"]".repeat(5000)}}`

interface Hostile {
  readonly name: string
  readonly headers: Record<string, string>
  readonly body?: string | Uint8Array<ArrayBuffer>
}

// What a careless or hostile client sends; none of it may earn a 5xx, and each is answered within a second.
const hostile: ReadonlyArray<Hostile> = [
  { name: "broken JSON", headers: { "content-type": "application/json" }, body: '{"email": "a@b.c",' },
  { name: "a JSON array", headers: { "content-type": "application/json" }, body: "[1,2,3]" },
  { name: "JSON null", headers: { "content-type": "application/json" }, body: "null" },
  {
    name: "wrong field types",
    headers: { "content-type": "application/json" },
    body: '{"email":1,"username":{},"password":[]}',
  },
  { name: "deep nesting", headers: { "content-type": "application/json" }, body: nested },
  { name: "a huge body", headers: { "content-type": "application/json" }, body: `{"bio":"${"x".repeat(2_000_000)}"}` },
  {
    name: "invalid UTF-8",
    headers: { "content-type": "application/json" },
    body: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]),
  },
  { name: "text/plain", headers: { "content-type": "text/plain" }, body: "hello" },
  { name: "multipart", headers: { "content-type": "multipart/form-data; boundary=x" }, body: "--x\r\n\r\n--x--" },
  { name: "an empty multipart body", headers: { "content-type": "multipart/form-data; boundary=zz" }, body: "" },
  { name: "multipart without a boundary", headers: { "content-type": "multipart/form-data" }, body: "" },
  { name: "an empty body of another type", headers: { "content-type": "application/octet-stream" }, body: "" },
  {
    name: "multipart named in a parameter",
    headers: { "content-type": "application/x-www-form-urlencoded; x=multipart/form-data; boundary=zz" },
    body: "--zz\r\n",
  },
  {
    name: "a garbled form",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: "%%%&&==&username",
  },
  { name: "a garbage token", headers: { authorization: "Bearer not.a.token" } },
  { name: "an alg:none token", headers: { authorization: `Bearer ${algNone}` } },
  { name: "a non-bearer scheme", headers: { authorization: "Basic YWRhOnNlY3JldA==" } },
  { name: "an enormous header token", headers: { authorization: `Bearer ${"a".repeat(6000)}` } },
]

const withBody = (method: string) => method !== "get" && method !== "head"

describe("hostile input against every route", () => {
  it.scoped("never earns a 5xx or a hang, and every refusal is problem+json", () =>
    Effect.gen(function* () {
      const { url } = yield* startApp()

      const document = yield* Effect.promise(() => fetch(`${url}/openapi.json`).then((r) => r.json()))
      const routes = Object.entries(document.paths as Record<string, Record<string, unknown>>).flatMap(([path, item]) =>
        Object.keys(item).map((method) => ({ path, method })),
      )
      routes.push(
        { path: "/api/v1/nowhere", method: "post" },
        { path: "/api/v1/users/../../etc/passwd", method: "get" },
      )
      expect(routes.length).toBeGreaterThanOrEqual(5)

      const answers: Array<string> = []
      for (const { path, method } of routes) {
        for (const input of hostile) {
          const response = yield* Effect.promise(() =>
            fetch(`${url}${path}`, {
              method: method.toUpperCase(),
              headers: input.headers,
              ...(withBody(method) && input.body !== undefined ? { body: input.body } : {}),
              signal: AbortSignal.timeout(1000),
            }).then(
              async (r) => ({ status: r.status, type: r.headers.get("content-type") ?? "", text: await r.text() }),
              () => ({ status: 0, type: "", text: "no answer within a second" }),
            ),
          )
          answers.push(`${method.toUpperCase()} ${path} with ${input.name}: ${response.status}`)
          expect(response.status, `${method} ${path} with ${input.name}: ${response.text}`).toBeGreaterThan(0)
          expect(response.status, `${method} ${path} with ${input.name}`).toBeLessThan(500)
          if (response.status >= 400) {
            expect(response.type, `${method} ${path} with ${input.name}`).toContain("application/problem+json")
            expect(JSON.parse(response.text)).toHaveProperty("code")
          }
        }
      }
      expect(answers.length).toBe(routes.length * hostile.length)
    }),
  )
})

/** A raw TCP connection: what the server sent on it, and when (ms after opening) it was closed. */
interface Connection {
  readonly socket: Socket
  readonly received: () => string
  readonly closed: Promise<number>
}

const openSocket = (port: number): Promise<Connection> =>
  new Promise((resolve, reject) => {
    const opened = Date.now()
    let received = ""
    const socket = connect({ host: "127.0.0.1", port })
    const closed = new Promise<number>((done) => socket.once("close", () => done(Date.now() - opened)))
    socket.on("data", (chunk: Buffer) => {
      received += chunk.toString("latin1")
    })
    socket.once("error", reject)
    socket.once("connect", () => {
      // Writes after the server hung up fail; the test reads `closed` instead.
      socket.on("error", () => {})
      resolve({ socket, received: () => received, closed })
    })
  })

/** A connection closed with the test's scope, whatever the test found. */
const open = (port: number) =>
  Effect.acquireRelease(
    Effect.promise(() => openSocket(port)),
    ({ socket }) => Effect.sync(() => socket.destroy()),
  )

/** When the connection closed (ms after opening), or -1 if it is still open after `ms`. */
const closedWithin = (connection: Connection, ms: number) =>
  Effect.promise(() => Promise.race([connection.closed, new Promise<number>((r) => setTimeout(() => r(-1), ms))]))

/** Writes `line` every 200 ms, as a slow client would, until the connection closes or `ms` pass; the close time or -1. */
const drip = (connection: Connection, line: string, ms: number) =>
  Effect.acquireUseRelease(
    Effect.sync(() => setInterval(() => connection.socket.write(line), 200)),
    () => closedWithin(connection, ms),
    (timer) => Effect.sync(() => clearInterval(timer)),
  )

/** The problem+json an answer read off the wire carries, or nothing when it is not one. */
const problemOf = (raw: string): unknown => {
  const [head = "", body = ""] = raw.split("\r\n\r\n")
  if (!/\r\ncontent-type: application\/problem\+json\r\n/i.test(head)) return undefined
  return JSON.parse(body)
}

describe("the server's limits", () => {
  it.scopedLive("answers what node:http itself refuses as problem+json: a malformed request, headers too large", () =>
    Effect.gen(function* () {
      const { port } = yield* startApp()
      const garbled = yield* open(port)
      garbled.socket.write("NOT HTTP AT ALL\r\n\r\n")
      expect(yield* closedWithin(garbled, 1000)).toBeGreaterThanOrEqual(0)
      expect(garbled.received()).toMatch(/^HTTP\/1\.1 400 /)
      expect(problemOf(garbled.received())).toMatchObject({ status: 400, code: "malformed_request" })

      const oversized = yield* open(port)
      oversized.socket.write(`GET /health HTTP/1.1\r\nHost: localhost\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`)
      expect(yield* closedWithin(oversized, 1000)).toBeGreaterThanOrEqual(0)
      expect(oversized.received()).toMatch(/^HTTP\/1\.1 431 /)
      expect(problemOf(oversized.received())).toMatchObject({ status: 431, code: "headers_too_large" })
    }),
  )

  it.scopedLive("cuts off a client that sends its headers too slowly after HEADERS_TIMEOUT_SECONDS, with a 408", () =>
    Effect.gen(function* () {
      const { port } = yield* startApp({ HEADERS_TIMEOUT_SECONDS: "1", REQUEST_TIMEOUT_SECONDS: "2" })
      const connection = yield* open(port)
      connection.socket.write("GET /health HTTP/1.1\r\nHost: localhost\r\n")
      const closedAfter = yield* drip(connection, "X-Slow: 1\r\n", 4000)
      expect(closedAfter).toBeGreaterThanOrEqual(900)
      expect(closedAfter).toBeLessThan(2500)
      expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /)
      expect(problemOf(connection.received())).toMatchObject({ status: 408, code: "request_timeout" })
    }),
  )

  it.scopedLive("cuts off a client that sends its body too slowly after REQUEST_TIMEOUT_SECONDS", () =>
    Effect.gen(function* () {
      const { port } = yield* startApp({ HEADERS_TIMEOUT_SECONDS: "1", REQUEST_TIMEOUT_SECONDS: "2" })
      const connection = yield* open(port)
      connection.socket.write(
        "POST /api/v1/auth/register HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{",
      )
      const closedAfter = yield* drip(connection, " ", 5000)
      expect(closedAfter).toBeGreaterThanOrEqual(1900)
      expect(closedAfter).toBeLessThan(3500)
      expect(connection.received()).toMatch(/^HTTP\/1\.1 408 /)
      expect(problemOf(connection.received())).toMatchObject({ status: 408, code: "request_timeout" })
    }),
  )

  it.scopedLive("refuses connections beyond MAX_CONNECTIONS, and takes new ones once some close", () =>
    Effect.gen(function* () {
      const { port } = yield* startApp({ MAX_CONNECTIONS: "2" })
      const request = "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n"
      const held = [yield* open(port), yield* open(port)]
      const refused = yield* open(port)
      refused.socket.write(request)
      expect(yield* closedWithin(refused, 2000)).toBeGreaterThanOrEqual(0)
      expect(refused.received()).toBe("")

      for (const connection of held) connection.socket.destroy()
      yield* Effect.promise(() => Promise.all(held.map((connection) => connection.closed)))
      // The server notices the closes a moment later.
      let answered = ""
      for (let attempt = 0; attempt < 20 && answered === ""; attempt++) {
        const connection = yield* open(port)
        connection.socket.write(request)
        yield* Effect.sleep("100 millis")
        answered = connection.received()
        connection.socket.destroy()
      }
      expect(answered).toMatch(/^HTTP\/1\.1 200 /)
    }),
  )
})
