import { describe, expect, it, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import type { HttpApp } from "../../src/index.js"
import { bearer, loggedIn } from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const allowed = "https://app.example.com"
const preflight = (origin: string, method = "PATCH") => ({
  method: "OPTIONS",
  headers: { origin, "access-control-request-method": method, "access-control-request-headers": "authorization" },
})

layer(testApp({ cors: { origins: [allowed, "http://localhost:5173"], credentials: true } }), {
  excludeTestServices: true,
})("CORS for listed origins", (it) => {
  it.effect("answers a preflight from a listed origin with what it may send", () =>
    Effect.gen(function* () {
      const answer = yield* send("/api/v1/users/me", preflight(allowed))
      expect(answer.status).toBe(204)
      expect(answer.headers.get("access-control-allow-origin")).toBe(allowed)
      expect(answer.headers.get("access-control-allow-credentials")).toBe("true")
      expect(answer.headers.get("access-control-allow-methods")).toContain("PATCH")
      expect(answer.headers.get("access-control-allow-headers")).toContain("authorization")
      expect(answer.headers.get("vary")).toContain("Origin")
    }),
  )

  it.effect("gives another origin no Access-Control-Allow-Origin, on preflights and answers alike", () =>
    Effect.gen(function* () {
      for (const origin of ["https://evil.example.com", `${allowed}.evil.com`, "null", "https://APP.example.com"]) {
        const answer = yield* send("/api/v1/users/me", preflight(origin))
        expect(answer.headers.get("access-control-allow-origin")).toBeNull()
        const health = yield* send("/health", { headers: { origin } })
        expect(health.headers.get("access-control-allow-origin")).toBeNull()
      }
    }),
  )

  it.effect("adds the headers to answers and problems for a listed origin, and none without an Origin", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const ok = yield* send("/api/v1/auth/me", { headers: { ...bearer(user.token), origin: allowed } })
      expect(ok.status).toBe(200)
      expect(ok.headers.get("access-control-allow-origin")).toBe(allowed)
      expect(ok.headers.get("access-control-expose-headers")).toContain("x-request-id")
      const refused = yield* send("/api/v1/auth/me", { headers: { origin: allowed } })
      expectProblem(refused, 401, "unauthorized")
      expect(refused.headers.get("access-control-allow-origin")).toBe(allowed)
      expect((yield* send("/health")).headers.get("access-control-allow-origin")).toBeNull()
    }),
  )
})

layer(testApp(), { excludeTestServices: true })("no CORS configured (the default)", (it) => {
  it.effect("answers no CORS headers, and a preflight is a 404 like any unknown route", () =>
    Effect.gen(function* () {
      expectProblem(yield* send("/api/v1/users/me", preflight(allowed)), 404, "not_found")
      expect(
        (yield* send("/health", { headers: { origin: allowed } })).headers.get("access-control-allow-origin"),
      ).toBeNull()
    }),
  )
})

const buildFailure = (options: Partial<HttpApp.Options>) =>
  Effect.map(Effect.exit(Layer.build(testApp(options))), (exit) =>
    Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "",
  )

describe("CORS options", () => {
  it.scoped("refuses the wildcard origin with credentials when the layer is built", () =>
    Effect.gen(function* () {
      const failure = yield* buildFailure({ cors: { origins: ["*"], credentials: true } })
      expect(failure).toContain('origins "*" together with credentials')
    }),
  )

  it.scoped("refuses an origin with a path or a trailing slash, which would never match", () =>
    Effect.gen(function* () {
      const failure = yield* buildFailure({ cors: { origins: [`${allowed}/`, "app.example.com"], credentials: false } })
      expect(failure).toContain(`"${allowed}/", "app.example.com"`)
    }),
  )
})

layer(testApp({ cors: { origins: ["*"], credentials: false } }), { excludeTestServices: true })(
  "CORS for any origin",
  (it) => {
    it.effect("allows any origin without credentials", () =>
      Effect.gen(function* () {
        const answer = yield* send("/health", { headers: { origin: "https://anywhere.example.org" } })
        expect(answer.headers.get("access-control-allow-origin")).toBe("https://anywhere.example.org")
        expect(answer.headers.get("access-control-allow-credentials")).toBeNull()
      }),
    )
  },
)
