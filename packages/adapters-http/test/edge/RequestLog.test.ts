import { describe, expect, it, layer } from "@effect/vitest"
import { Effect, Logger, LogLevel } from "effect"
import { logAnswer } from "../../src/edge/RequestLog.js"
import { bearer, loggedIn } from "../support/Fixtures.js"
import { send } from "../support/Http.js"
import { type LogEntry, TestApp, testApp } from "../support/TestApp.js"

const linesFor = (logs: ReadonlyArray<LogEntry>, requestId: string) =>
  logs.filter((entry) => entry.annotations.request_id === requestId)

layer(testApp(), { excludeTestServices: true })("request logs", (it) => {
  it.effect("writes one line per request with its id, method, route, status and duration", () =>
    Effect.gen(function* () {
      const { logs } = yield* TestApp
      const answer = yield* send("/api/v1/auth/login", {
        method: "POST",
        headers: { "x-request-id": "trace-42.a:b" },
        form: { username: "nobody", password: "nothing" },
      })
      expect(answer.headers.get("x-request-id")).toBe("trace-42.a:b")
      const lines = linesFor(logs, "trace-42.a:b")
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatchObject({
        level: "INFO",
        message: ["request"],
        annotations: { method: "POST", route: "/api/v1/auth/login", status: 401, duration_ms: expect.any(Number) },
      })
    }),
  )

  it.effect("generates an id when none or an unreasonable one is sent, and echoes it", () =>
    Effect.gen(function* () {
      const { logs } = yield* TestApp
      for (const headers of [{}, { "x-request-id": "x".repeat(500) }, { "x-request-id": "forged\tline" }]) {
        const answer = yield* send("/health", { headers })
        const id = answer.headers.get("x-request-id") ?? ""
        expect(id).toMatch(/^[0-9a-f-]{36}$/)
        expect(linesFor(logs, id)).toHaveLength(1)
      }
    }),
  )

  it.effect("logs the route template or the bare path, never the query string", () =>
    Effect.gen(function* () {
      const { logs } = yield* TestApp
      const answer = yield* send("/nowhere/at/all?token=s3cr3t-query", { headers: { "x-request-id": "unknown-route" } })
      expect(answer.status).toBe(404)
      expect(linesFor(logs, "unknown-route")[0]?.annotations).toMatchObject({ route: "/nowhere/at/all", status: 404 })
      expect(JSON.stringify(logs)).not.toContain("s3cr3t-query")
    }),
  )

  it.effect("logs a user's path under its route template, whether answered or refused", () =>
    Effect.gen(function* () {
      const { logs } = yield* TestApp
      const user = yield* loggedIn
      const requests = [
        ["id-ok", `/api/v1/users/${user.id}`, bearer(user.token), "/api/v1/users/:id", 200],
        ["id-bad-token", `/api/v1/users/${user.id}`, bearer("nope"), "/api/v1/users/:id", 401],
        ["id-malformed", "/api/v1/users/not-a-uuid", bearer(user.token), "/api/v1/users/:id", 404],
        ["admin-forbidden", `/api/v1/admin/users/${user.id}`, bearer(user.token), "/api/v1/admin/users/:id", 403],
      ] as const
      for (const [requestId, path, headers, route, status] of requests) {
        yield* send(path, { headers: { ...headers, "x-request-id": requestId } })
        expect(linesFor(logs, requestId)[0]?.annotations).toMatchObject({ route, status })
      }
      expect(JSON.stringify(logs)).not.toContain(`"route":"/api/v1/users/${user.id}"`)
    }),
  )

  it.effect("never logs passwords, tokens or bodies", () =>
    Effect.gen(function* () {
      const { logs } = yield* TestApp
      const user = yield* loggedIn
      yield* send("/api/v1/auth/me", { headers: bearer(user.token) })
      yield* send("/api/v1/auth/login", { method: "POST", json: { username: user.email, password: "Wr0ng-Pa55" } })
      const logged = JSON.stringify(logs)
      for (const secret of [user.password, user.token, "Wr0ng-Pa55", user.email]) expect(logged).not.toContain(secret)
    }),
  )
})

describe("a request's log line under LOG_LEVEL=warn", () => {
  it.effect("is written for a 500 (error) and a 503 (warning) only, with its fields", () =>
    Effect.gen(function* () {
      const lines: Array<{ readonly level: string; readonly status: unknown }> = []
      const capture = Logger.make(({ logLevel, annotations }) => {
        let status: unknown
        for (const [key, value] of annotations) if (key === "status") status = value
        lines.push({ level: logLevel.label, status })
      })
      for (const status of [200, 401, 404, 429, 500, 503])
        yield* logAnswer({ requestId: "r", method: "GET", route: "/r", status, seconds: 0.001 }).pipe(
          Logger.withMinimumLogLevel(LogLevel.Warning),
          Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
        )
      expect(lines).toEqual([
        { level: "ERROR", status: 500 },
        { level: "WARN", status: 503 },
      ])
    }),
  )
})
