import { describe, expect, it, layer } from "@effect/vitest"
import { Cause, Effect, Exit, Layer } from "effect"
import { bearer, loggedIn } from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

let scrapes = 0
const poolGauge = {
  name: "userkit_test_pool_connections_in_use",
  help: "Connections in use (test)",
  read: Effect.sync(() => ++scrapes),
}

/** The value of the one sample line starting with `series` (name and labels). */
const sample = (text: string, series: string): number | undefined => {
  const line = text.split("\n").find((l) => l.startsWith(`${series} `))
  return line === undefined ? undefined : Number(line.slice(series.length + 1))
}

const scrape = Effect.map(send("/metrics"), (answer) => {
  expect(answer.status).toBe(200)
  expect(answer.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8")
  return answer.text
})

layer(testApp({ metrics: true, metricsGauges: [poolGauge] }), { excludeTestServices: true })("GET /metrics", (it) => {
  it.effect("counts and times requests by method, route template and status, never by raw path", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      for (let i = 0; i < 3; i++) yield* send(`/api/v1/users/${user.id}`, { headers: bearer(user.token) })
      yield* send(`/api/v1/users/${crypto.randomUUID()}`, { headers: bearer(user.token) })
      yield* send(`/nowhere/${crypto.randomUUID()}`)
      // Refused by the authentication of its own endpoint, before the handler: still counted by its route.
      expectProblem(yield* send("/api/v1/auth/me"), 401, "unauthorized")
      const text = yield* scrape
      const byRoute = (status: number) => `{method="GET",route="/api/v1/users/:id",status="${status}"}`
      expect(sample(text, `userkit_http_requests_total${byRoute(200)}`)).toBe(3)
      expect(sample(text, `userkit_http_requests_total${byRoute(404)}`)).toBe(1)
      expect(sample(text, 'userkit_http_requests_total{method="GET",route="/api/v1/auth/me",status="401"}')).toBe(1)
      expect(sample(text, `userkit_http_request_duration_seconds_count${byRoute(200)}`)).toBe(3)
      expect(
        sample(
          text,
          'userkit_http_request_duration_seconds_bucket{le="+Inf",method="GET",route="/api/v1/users/:id",status="200"}',
        ),
      ).toBe(3)
      expect(
        sample(text, 'userkit_http_requests_total{method="GET",route="(unmatched)",status="404"}'),
      ).toBeGreaterThan(0)
      expect(text).toContain("# TYPE userkit_http_request_duration_seconds histogram")
      expect(text).not.toContain(user.id)
      expect(text).not.toContain("/nowhere")
    }),
  )

  it.effect("counts login successes and failures, but not malformed login requests", () =>
    Effect.gen(function* () {
      const before = yield* scrape
      const user = yield* loggedIn
      const login = (form: Record<string, string>) => send("/api/v1/auth/login", { method: "POST", form })
      yield* login({ username: user.username, password: "wrong password" })
      yield* login({ username: "nobody-at-all", password: "wrong password" })
      expectProblem(yield* login({ username: user.username }), 422, "invalid_request")
      const after = yield* scrape
      const delta = (outcome: string) =>
        (sample(after, `userkit_logins_total{outcome="${outcome}"}`) ?? 0) -
        (sample(before, `userkit_logins_total{outcome="${outcome}"}`) ?? 0)
      expect(delta("success")).toBe(1)
      expect(delta("failure")).toBe(2)
      expect(after).toContain('route="/metrics"')
    }),
  )

  it.effect("reads the app's gauges at each scrape", () =>
    Effect.gen(function* () {
      const first = sample(yield* scrape, poolGauge.name) ?? 0
      expect(sample(yield* scrape, poolGauge.name)).toBe(first + 1)
      expect(yield* scrape).toContain(`# HELP ${poolGauge.name} ${poolGauge.help}`)
    }),
  )
})

layer(testApp(), { excludeTestServices: true })("metrics off (the default)", (it) => {
  it.effect("GET /metrics is a 404 like any unknown route", () =>
    Effect.gen(function* () {
      expectProblem(yield* send("/metrics"), 404, "not_found")
    }),
  )
})

describe("metrics options", () => {
  it.scoped("a gauge Prometheus cannot name stops the app from starting, naming the gauge", () =>
    Effect.gen(function* () {
      const app = testApp({ metrics: true, metricsGauges: [{ ...poolGauge, name: "pool in-use" }] })
      const exit = yield* Effect.exit(Layer.build(app))
      expect(Exit.isFailure(exit) && Cause.pretty(exit.cause)).toContain('metrics gauge "pool in-use"')
    }),
  )
})
