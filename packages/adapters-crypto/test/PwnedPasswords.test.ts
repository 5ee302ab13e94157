import { createHash } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { BreachedPasswords } from "@userkit/domain"
import { Effect, Exit, Logger, Redacted } from "effect"
import { PwnedPasswords } from "../src/index.js"

const sha1 = (text: string) => createHash("sha1").update(text, "utf8").digest("hex").toUpperCase()

interface Request {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** A server on the loopback answering each request with `answer`, recording what it was sent; closed with the scope. */
const serve = (answer: (request: IncomingMessage, response: ServerResponse) => void) =>
  Effect.acquireRelease(
    Effect.async<{ readonly url: string; readonly requests: Array<Request>; readonly close: Effect.Effect<void> }>(
      (resume) => {
        const requests: Array<Request> = []
        const server = createServer((request, response) => {
          let body = ""
          request.on("data", (chunk) => (body += String(chunk)))
          request.on("end", () => requests.push({ path: request.url ?? "", headers: request.headers, body }))
          answer(request, response)
        })
        const close = Effect.async<void>((done) => {
          if (!server.listening) return done(Effect.void)
          server.close(() => done(Effect.void))
          server.closeAllConnections()
        })
        server.listen(0, "127.0.0.1", () => {
          const address = server.address()
          const port = typeof address === "object" && address !== null ? address.port : 0
          resume(Effect.succeed({ url: `http://127.0.0.1:${port}`, requests, close }))
        })
      },
    ),
    (server) => server.close,
  )

/**
 * The range API of Have I Been Pwned: for `/range/<5 hex>`, a `SUFFIX:COUNT` line per known
 * password whose SHA-1 starts with them, and, when asked with `Add-Padding: true`, decoy lines
 * counted 0 (here the `decoys` given, so a test can make one collide with a real suffix).
 */
const pwnedApi =
  (known: ReadonlyArray<readonly [hash: string, count: number]>, decoys: ReadonlyArray<string> = []) =>
  (request: IncomingMessage, response: ServerResponse) => {
    const prefix = /^\/range\/([0-9A-F]{5})$/.exec(request.url ?? "")?.[1]
    if (request.method !== "GET" || prefix === undefined) {
      response.writeHead(400).end()
      return
    }
    const lines = known.filter(([hash]) => hash.startsWith(prefix)).map(([hash, count]) => `${hash.slice(5)}:${count}`)
    const padding = request.headers["add-padding"] === "true" ? decoys.map((suffix) => `${suffix}:0`) : []
    response.writeHead(200, { "content-type": "text/plain" }).end([...lines, ...padding].join("\r\n"))
  }

const password = "Tr0ub4dor&3 is still fine"
const hash = sha1(password)

const isBreached = (options: PwnedPasswords.Options, candidate: string = password) =>
  Effect.flatMap(BreachedPasswords, (breaches) => breaches.isBreached(Redacted.make(candidate))).pipe(
    Effect.provide(PwnedPasswords.layer(options)),
  )

/** Runs `effect` with its log lines recorded. */
const withLogs = <A, E, R>(effect: Effect.Effect<A, E, R>) => {
  const lines: Array<{ readonly level: string; readonly text: string }> = []
  const recorder = Logger.make(({ logLevel, message }) => {
    lines.push({ level: logLevel.label, text: [message].flat().map(String).join(" ") })
  })
  return effect.pipe(
    Effect.provide(Logger.replace(Logger.defaultLogger, recorder)),
    Effect.map((result) => ({ result, lines })),
  )
}

// A failure answers false and warns, without the password, its hash, or even the prefix that was sent.
const expectFailedOpen = (outcome: {
  readonly result: boolean
  readonly lines: ReadonlyArray<{ level: string; text: string }>
}) => {
  expect(outcome.result).toBe(false)
  expect(outcome.lines.map((line) => line.level)).toEqual(["WARN"])
  for (const { text } of outcome.lines) {
    expect(text).toContain("not checked against breaches")
    for (const secret of [password, hash, hash.slice(0, 5), hash.slice(5)]) expect(text).not.toContain(secret)
  }
}

describe("PwnedPasswords", () => {
  it.scopedLive("calls breached a password the API has seen", () =>
    Effect.gen(function* () {
      const api = yield* serve(pwnedApi([[hash, 42]]))
      expect(yield* isBreached({ url: api.url })).toBe(true)
    }),
  )

  it.scopedLive("calls not breached a password the API has not seen, though its prefix is known", () =>
    Effect.gen(function* () {
      const neighbour = `${hash.slice(0, 5)}${"0".repeat(35)}`
      const api = yield* serve(pwnedApi([[neighbour, 9000]]))
      expect(yield* isBreached({ url: api.url })).toBe(false)
      expect(api.requests).toHaveLength(1)
    }),
  )

  it.scopedLive("asks for padding and ignores its lines, counted 0, even one with the password's suffix", () =>
    Effect.gen(function* () {
      const api = yield* serve(pwnedApi([], [hash.slice(5), "0".repeat(35)]))
      expect(yield* isBreached({ url: api.url })).toBe(false)
      expect(api.requests.map((request) => request.headers["add-padding"])).toEqual(["true"])
    }),
  )

  it.scopedLive("sends only the first 5 hex characters of the SHA-1, and nothing else of the password", () =>
    Effect.gen(function* () {
      const api = yield* serve(pwnedApi([[hash, 1]]))
      yield* isBreached({ url: `${api.url}/` })
      expect(api.requests.map((request) => request.path)).toEqual([`/range/${hash.slice(0, 5)}`])
      const sent = JSON.stringify(api.requests)
      for (const secret of [password, hash.slice(5), hash.slice(5, 10), hash.slice(-10)]) {
        expect(sent).not.toContain(secret)
      }
      expect(sent.toLowerCase()).not.toContain(hash.slice(5).toLowerCase())
    }),
  )

  it.scopedLive("hashes the NFKC form, the one the hashers hash", () =>
    Effect.gen(function* () {
      // "ﬁ" is one code point typed, "fi" after NFKC.
      const api = yield* serve(pwnedApi([[sha1("fish and chips, twice"), 3]]))
      expect(yield* isBreached({ url: api.url }, "\ufb01sh and chips, twice")).toBe(true)
    }),
  )

  it.scopedLive("calls breached only from the threshold's count of sightings on", () =>
    Effect.gen(function* () {
      const api = yield* serve(pwnedApi([[hash, 3]]))
      expect(yield* isBreached({ url: api.url, threshold: 3 })).toBe(true)
      expect(yield* isBreached({ url: api.url, threshold: 4 })).toBe(false)
    }),
  )

  it.scopedLive("fails open within the timeout when the server never answers", () =>
    Effect.gen(function* () {
      const api = yield* serve(() => {})
      const started = performance.now()
      const outcome = yield* withLogs(isBreached({ url: api.url, timeout: "200 millis" }))
      const elapsed = performance.now() - started
      expectFailedOpen(outcome)
      expect(outcome.lines[0]?.text).toContain("no answer within")
      expect(elapsed).toBeGreaterThanOrEqual(190)
      expect(elapsed).toBeLessThan(1500)
    }),
  )

  it.scopedLive("fails open within the timeout when the server stalls in the middle of its answer", () =>
    Effect.gen(function* () {
      const api = yield* serve((_request, response) => {
        response.writeHead(200, { "content-type": "text/plain" })
        response.write(`${"0".repeat(35)}:0\r\n`)
      })
      const started = performance.now()
      expectFailedOpen(yield* withLogs(isBreached({ url: api.url, timeout: "200 millis" })))
      expect(performance.now() - started).toBeLessThan(1500)
    }),
  )

  it.scopedLive("fails open when the server answers 500", () =>
    Effect.gen(function* () {
      const api = yield* serve((_request, response) => response.writeHead(500).end(`${hash.slice(5)}:1`))
      const outcome = yield* withLogs(isBreached({ url: api.url }))
      expectFailedOpen(outcome)
      expect(outcome.lines[0]?.text).toContain("answered 500")
    }),
  )

  it.scopedLive("fails open when the server is down", () =>
    Effect.gen(function* () {
      const api = yield* serve(pwnedApi([[hash, 1]]))
      yield* api.close
      const outcome = yield* withLogs(isBreached({ url: api.url }))
      expectFailedOpen(outcome)
      expect(outcome.lines[0]?.text).toContain("ECONNREFUSED")
    }),
  )

  it.effect("dies at build for a URL that is not one, a threshold below 1 or a timeout of 0", () =>
    Effect.gen(function* () {
      for (const options of [
        { url: "not a url" },
        { url: "http://127.0.0.1:1", threshold: 0 },
        { url: "http://127.0.0.1:1", threshold: 1.5 },
        { url: "http://127.0.0.1:1", timeout: 0 },
      ]) {
        expect(Exit.isFailure(yield* Effect.exit(isBreached(options)))).toBe(true)
      }
    }),
  )
})
