import { createServer } from "node:http"
import { HttpServer, HttpServerResponse } from "@effect/platform"
import { describe, expect, it, layer } from "@effect/vitest"
import { MemoryUserRepository } from "@userkit/adapters-memory"
import { StoreUnavailable, stamped, UserId, UserRepository } from "@userkit/domain"
import { Effect, Exit, Layer, Logger, LogLevel, Option } from "effect"
import * as Direct from "../../src/edge/Direct.js"
import * as HttpMetrics from "../../src/edge/HttpMetrics.js"
import { NodeServing } from "../../src/index.js"
import { bearer, loggedIn } from "../support/Fixtures.js"
import { type Answer, send } from "../support/Http.js"
import { TestApp, testApp } from "../support/TestApp.js"

const mePath = "/api/v1/auth/me"

/** Everything of an answer but the headers that differ by nature (the date). */
const comparable = (answer: Answer) => {
  const headers: Record<string, string> = {}
  answer.headers.forEach((value, name) => {
    if (name !== "date") headers[name] = value
  })
  return { status: answer.status, headers, text: answer.text }
}

/** The log lines of requests, without their duration. */
const requestLines = (logs: ReadonlyArray<{ message: unknown; annotations: Readonly<Record<string, unknown>> }>) =>
  logs
    .filter((entry) => String(entry.message) === "request")
    .map(({ annotations: { duration_ms: _, ...rest } }) => rest)
    .sort((a, b) => String(a.request_id).localeCompare(String(b.request_id)))

layer(testApp({ metrics: true }), { excludeTestServices: true })("the direct routes", (it) => {
  it.effect("answer GET /health and GET /auth/me as the router does: status, headers, body, log line, metrics", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const { logs } = yield* TestApp
      // The direct route takes the exact path; a trailing slash is the same endpoint, by the router.
      for (const [path, headers, name] of [
        ["/health", {}, "health"],
        [mePath, bearer(user.token), "me"],
      ] as const) {
        const before = logs.length
        const direct = yield* send(path, { headers: { ...headers, "x-request-id": `direct-${name}` } })
        const routed = yield* send(`${path}/`, { headers: { ...headers, "x-request-id": `routed-${name}` } })
        expect(direct.status).toBe(200)
        const { "x-request-id": directId, ...directRest } = comparable(direct).headers
        const { "x-request-id": routedId, ...routedRest } = comparable(routed).headers
        expect([directId, routedId]).toEqual([`direct-${name}`, `routed-${name}`])
        expect({ ...comparable(direct), headers: directRest }).toEqual({ ...comparable(routed), headers: routedRest })
        const [directLine, routedLine] = requestLines(logs.slice(before))
        expect(directLine).toEqual({ ...routedLine, request_id: `direct-${name}` })
      }
      // Counted under the route template, as the router counts: two of each.
      const metrics = (yield* send("/metrics")).text
      for (const route of ["/health", mePath])
        expect(metrics).toContain(`userkit_http_requests_total{method="GET",route="${route}",status="200"} 2`)
    }),
  )

  it.effect("leave every refusal to the router: a bad token's 401 and its one log line", () =>
    Effect.gen(function* () {
      const { logs } = yield* TestApp
      const before = logs.length
      const answer = yield* send(mePath, { headers: { ...bearer("not.a.token"), "x-request-id": "refused" } })
      expect(answer.status).toBe(401)
      expect(answer.headers.get("content-type")).toBe("application/problem+json")
      expect(requestLines(logs.slice(before))).toEqual([
        { request_id: "refused", method: "GET", route: mePath, status: 401 },
      ])
    }),
  )
})

// LOG_LEVEL=warn: the health check is answered without a fiber, the same answer, counted the same.
layer(testApp({ metrics: true }).pipe(Layer.provide(Logger.minimumLogLevel(LogLevel.Warning))), {
  excludeTestServices: true,
})("the direct routes below LOG_LEVEL=info", (it) => {
  it.effect("answer GET /health as the router does, count it, and log no line for it", () =>
    Effect.gen(function* () {
      const { logs } = yield* TestApp
      const before = logs.length
      const direct = yield* send("/health", { headers: { "x-request-id": "same" } })
      const routed = yield* send("/health/", { headers: { "x-request-id": "same" } })
      expect(direct.status).toBe(200)
      expect(comparable(direct)).toEqual(comparable(routed))
      expect(requestLines(logs.slice(before))).toEqual([])
      expect((yield* send("/metrics")).text).toContain(
        'userkit_http_requests_total{method="GET",route="/health",status="200"} 2',
      )
    }),
  )
})

/** A request as node:http gives it. */
const request = (method: string, url: string, headers: Record<string, string> = {}) => ({ method, url, headers })

layer(testApp(), { excludeTestServices: true })("which requests the direct routes take", (it) => {
  const routes = Effect.provide(Direct.DirectRoutes, Direct.layer().pipe(Layer.provide(HttpMetrics.disabled)))

  it.effect("only a plain GET of their exact path, with no body and, for /auth/me, a bearer token", () =>
    Effect.gen(function* () {
      const direct = yield* routes
      const user = yield* loggedIn
      const auth = bearer(user.token)
      for (const declined of [
        request("POST", "/health"),
        request("HEAD", "/health"),
        request("GET", "/health?verbose"),
        request("GET", "/health/"),
        request("GET", "/HEALTH"),
        request("GET", "/health", { "content-length": "3" }),
        request("GET", "/health", { "transfer-encoding": "chunked" }),
        request("GET", mePath),
        request("GET", mePath, { authorization: "Basic dXNlcjpwYXNz" }),
        request("GET", mePath, { authorization: `${auth.authorization} trailing` }),
        request("GET", "/api/v1/users/me", auth),
      ])
        expect(direct.answer(declined), JSON.stringify(declined)).toBeUndefined()
      for (const taken of [
        request("GET", "/health"),
        request("GET", "/health", { "content-length": "0" }),
        request("GET", "/health", { origin: "https://elsewhere.example" }),
        request("GET", mePath, auth),
      ]) {
        const answering = direct.answer(taken)
        expect(answering, JSON.stringify(taken)).toBeDefined()
        if (answering !== undefined) expect((yield* answering).status).toBe(200)
      }
    }),
  )

  it.effect("a token that does not authenticate fails the direct answer, for the router to refuse", () =>
    Effect.gen(function* () {
      const direct = yield* routes
      const answering = direct.answer(request("GET", mePath, bearer("not.a.token")))
      expect(answering).toBeDefined()
      if (answering !== undefined) expect(Option.isNone(Option.getRight(yield* Effect.either(answering)))).toBe(true)
    }),
  )

  it.effect("a health check whose log line LOG_LEVEL would drop is given as an Exit, counted already", () =>
    Effect.gen(function* () {
      const metrics = yield* Effect.provide(HttpMetrics.HttpMetrics, HttpMetrics.layer([]))
      const direct = yield* Effect.provide(
        Direct.DirectRoutes,
        Direct.layer().pipe(Layer.provide(Layer.succeed(HttpMetrics.HttpMetrics, metrics))),
      )
      const user = yield* loggedIn
      const counted = Effect.map(metrics.scrape, ({ text }) =>
        Number(/userkit_http_requests_total\{method="GET",route="\/health",status="200"\} (\d+)/.exec(text)?.[1] ?? 0),
      )
      const lines: Array<unknown> = []
      const capture = Logger.replace(
        Logger.defaultLogger,
        Logger.make(({ message }) => lines.push(String(message))),
      )
      const quiet = direct.answer(request("GET", "/health", { "x-request-id": "quiet" }), LogLevel.Warning)
      expect(quiet !== undefined && Exit.isExit(quiet)).toBe(true)
      expect(yield* counted).toBe(1)
      if (quiet === undefined) return expect.fail("the health check was declined")
      const given = yield* Effect.provide(quiet, capture)
      expect(given.headers["x-request-id"]).toBe("quiet")
      expect(lines).toEqual([])
      // A line to write, or a body to find, is an effect to run: it is counted and logged when it runs.
      for (const [answering, logged] of [
        [direct.answer(request("GET", "/health"), LogLevel.Info), ["request"]],
        [direct.answer(request("GET", "/health")), ["request"]],
        [direct.answer(request("GET", mePath, bearer(user.token)), LogLevel.Warning), []],
      ] as const) {
        if (answering === undefined) return expect.fail("a direct route was declined")
        expect(Exit.isExit(answering)).toBe(false)
        lines.length = 0
        expect((yield* Effect.provide(answering, capture)).status).toBe(200)
        expect(lines).toEqual(logged)
      }
      expect(yield* counted).toBe(3)
    }),
  )

  it.effect("the request id is the caller's when it is sane, else a new one", () =>
    Effect.gen(function* () {
      const direct = yield* routes
      const answerOf = (headers: Record<string, string>) => direct.answer(request("GET", "/health", headers))
      const sane = answerOf({ "x-request-id": "abc-123" })
      const forged = answerOf({ "x-request-id": "abc\nlevel=ERROR" })
      if (sane === undefined || forged === undefined) return expect.fail("the health checks were declined")
      expect((yield* sane).headers["x-request-id"]).toBe("abc-123")
      expect((yield* forged).headers["x-request-id"]).toMatch(/^[0-9a-f-]{36}$/)
    }),
  )
})

// A user store that counts its lookups by id and, when down, dies as the PostgreSQL adapter's does.
const lookups = { count: 0, down: false }
const CountedUsers = Layer.effect(
  UserRepository,
  Effect.map(UserRepository, (users) =>
    UserRepository.of({
      ...users,
      findById: (id) =>
        Effect.suspend(() => {
          lookups.count += 1
          return lookups.down
            ? Effect.die(new StoreUnavailable({ store: "database", reason: "connect ECONNREFUSED" }))
            : users.findById(id)
        }),
    }),
  ),
).pipe(Layer.provide(MemoryUserRepository.layer))

layer(testApp({}, { users: CountedUsers }), { excludeTestServices: true })("the direct routes in an outage", (it) => {
  it.effect("answer the router's 503, its headers, body and log lines, asking the store once per request", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const { logs } = yield* TestApp
      lookups.down = true
      const before = logs.length
      const counted = lookups.count
      const direct = yield* send(mePath, { headers: { ...bearer(user.token), "x-request-id": "direct-outage" } })
      expect(lookups.count - counted).toBe(1)
      const routed = yield* send(`${mePath}/`, { headers: { ...bearer(user.token), "x-request-id": "routed-outage" } })
      lookups.down = false
      expect(direct.status).toBe(503)
      const { "x-request-id": _d, ...directHeaders } = comparable(direct).headers
      const { "x-request-id": _r, ...routedHeaders } = comparable(routed).headers
      expect(directHeaders["retry-after"]).toBeDefined()
      expect({ ...comparable(direct), headers: directHeaders }).toEqual({
        ...comparable(routed),
        headers: routedHeaders,
      })
      const lines = logs.slice(before).map(({ level, message, annotations }) => {
        const { duration_ms: _, request_id, ...rest } = annotations
        return { id: request_id, line: { level, message: String(message), ...rest } }
      })
      const of = (id: string) => lines.filter((entry) => entry.id === id).map((entry) => entry.line)
      expect(of("direct-outage")).toEqual(of("routed-outage"))
      expect(of("direct-outage").map((line) => line.message)).toEqual(["store unavailable", "request"])
    }),
  )
})

/** The same request to a direct route's exact path and, through the router, with a trailing slash. */
const bothWays = (path: string, headers: Record<string, string>) =>
  Effect.gen(function* () {
    const direct = yield* send(path, { headers: { ...headers, "x-request-id": "compared" } })
    const routed = yield* send(`${path}/`, { headers: { ...headers, "x-request-id": "compared" } })
    return { direct: comparable(direct), routed: comparable(routed) }
  })

for (const cors of [
  { origins: ["https://app.example"], credentials: false },
  { origins: ["https://app.example", "https://admin.example"], credentials: true },
  { origins: ["*"], credentials: false },
]) {
  layer(testApp({ cors }, { users: CountedUsers }), { excludeTestServices: true })(
    `with CORS on (${JSON.stringify(cors)})`,
    (it) => {
      it.effect("every answer is the router's, its CORS headers included, whatever the Origin", () =>
        Effect.gen(function* () {
          const user = yield* loggedIn
          // Another origin, and one of bytes no browser sends but an attacker may (read as Latin-1).
          const origins = [
            undefined,
            ...cors.origins.filter((origin) => origin !== "*"),
            "https://elsewhere.example",
            "https://\u00e9vil.example",
          ]
          for (const [path, auth] of [
            ["/health", {}],
            [mePath, bearer(user.token)],
          ] as const)
            for (const origin of origins) {
              const { direct, routed } = yield* bothWays(path, origin === undefined ? auth : { ...auth, origin })
              expect(direct.status, `${path} from ${origin}`).toBe(200)
              expect(direct, `${path} from ${origin}`).toEqual(routed)
            }
          // What the browser reads: an allowed origin is echoed, another is not; exposed headers always.
          const allowed = yield* bothWays(mePath, { ...bearer(user.token), origin: "https://app.example" })
          expect(allowed.direct.headers["access-control-allow-origin"]).toBe("https://app.example")
          const other = yield* bothWays(mePath, { ...bearer(user.token), origin: "https://elsewhere.example" })
          expect(other.direct.headers["access-control-allow-origin"]).toBe(
            cors.origins.includes("*") ? "https://elsewhere.example" : undefined,
          )
          expect(other.direct.headers["access-control-expose-headers"]).toBeDefined()
        }),
      )

      it.effect("are served first: a refused token is looked up by them, then again by the router", () =>
        Effect.gen(function* () {
          const user = yield* loggedIn
          yield* Effect.flatMap(UserRepository, (users) =>
            Effect.flatMap(stamped({ is_active: false }), (changes) =>
              users.setStanding(UserId.make(user.id), changes),
            ),
          )
          const counted = lookups.count
          const answer = yield* send(mePath, { headers: { ...bearer(user.token), origin: "https://app.example" } })
          expect(answer.status).not.toBe(200)
          expect(lookups.count - counted).toBe(2)
        }),
      )

      it.effect("are taken directly, an Origin or not", () =>
        Effect.gen(function* () {
          const direct = yield* Effect.provide(
            Direct.DirectRoutes,
            Direct.layer({ cors }).pipe(Layer.provide(HttpMetrics.disabled)),
          )
          for (const origin of ["https://app.example", "https://elsewhere.example"]) {
            const answering = direct.answer(request("GET", "/health", { origin }))
            if (answering === undefined) return expect.fail(`GET /health from ${origin} was declined`)
            expect((yield* answering).status).toBe(200)
          }
        }),
      )
    },
  )
}

describe("NodeServing", () => {
  // A router of one route, and direct routes that answer /direct, fail /failing, never finish /slow,
  // give /given's answer and /given-failed's failure as an Exit, and decline the rest.
  const seen = { routed: 0, interrupted: 0, levels: new Set<string>() }
  const served = HttpServer.serve(
    Effect.sync(() => {
      seen.routed += 1
      return HttpServerResponse.text("by the router", { status: 203 })
    }),
  ).pipe(
    Layer.provide(
      Layer.succeed(Direct.DirectRoutes, {
        answer: ({ url }, minimumLogLevel) => {
          seen.levels.add(minimumLogLevel?.label ?? "none")
          switch (url) {
            case "/direct":
              return Effect.succeed({ status: 200, headers: { "content-type": "text/plain" }, body: "direct ✓" })
            case "/given":
              return Exit.succeed({ status: 201, headers: { "content-type": "text/plain" }, body: "given" })
            case "/given-failed":
              return Exit.fail("not this one either")
            case "/failing":
              return Effect.fail("not this one")
            case "/slow":
              return Effect.never.pipe(
                Effect.onInterrupt(() =>
                  Effect.sync(() => {
                    seen.interrupted += 1
                  }),
                ),
              )
            default:
              return undefined
          }
        },
      }),
    ),
    Layer.provideMerge(NodeServing.layer(createServer, { port: 0 })),
    // The serving fiber's LOG_LEVEL, which the direct routes are given.
    Layer.provide(Logger.minimumLogLevel(LogLevel.Warning)),
  )

  it.live("writes what the direct routes answer, leaves the rest to the app, and drops what a client left", () =>
    Effect.gen(function* () {
      const server = yield* HttpServer.HttpServer
      const port = server.address._tag === "TcpAddress" ? server.address.port : 0
      const get = (path: string) =>
        Effect.promise(async () => {
          const response = await fetch(`http://127.0.0.1:${port}${path}`)
          return [response.status, response.headers.get("content-length"), await response.text()] as const
        })
      expect(yield* get("/direct")).toEqual([200, String(Buffer.byteLength("direct ✓")), "direct ✓"])
      expect(seen.routed).toBe(0)
      expect(yield* get("/failing")).toEqual([203, "13", "by the router"])
      expect(yield* get("/other")).toEqual([203, "13", "by the router"])
      expect(seen.routed).toBe(2)
      // An answer given as an Exit is written as it is; a failure given so is the router's.
      expect(yield* get("/given")).toEqual([201, "5", "given"])
      expect(yield* get("/given-failed")).toEqual([203, "13", "by the router"])
      expect(seen.routed).toBe(3)
      expect([...seen.levels]).toEqual([LogLevel.Warning.label])
      // The client gives up: the direct answer's work is interrupted, and nobody answers.
      yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/slow`, { signal: AbortSignal.timeout(100) }).catch(() => undefined),
      )
      for (let i = 0; i < 50 && seen.interrupted === 0; i++) yield* Effect.sleep("20 millis")
      expect([seen.routed, seen.interrupted]).toEqual([3, 1])
    }).pipe(Effect.provide(served)),
  )
})
