import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { expectProblem, send } from "../support/Http.js"
import { TestApp, testApp } from "../support/TestApp.js"

layer(testApp(), { excludeTestServices: true })("probes", (it) => {
  it.effect("GET /health answers 200 ok", () =>
    Effect.gen(function* () {
      const answer = yield* send("/health")
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({ status: "ok" })
    }),
  )

  it.effect("GET /ready answers 200 when ready and a 503 problem with the reason and Retry-After when not", () =>
    Effect.gen(function* () {
      const app = yield* TestApp
      expect((yield* send("/ready")).status).toBe(200)
      yield* app.setNotReady(Option.some("database unreachable"))
      const answer = yield* send("/ready")
      expect(expectProblem(answer, 503, "not_ready").detail).toBe("database unreachable")
      expect(answer.headers.get("retry-after")).toMatch(/^\d+$/)
      expect((yield* send("/health")).status).toBe(200)
      yield* app.setNotReady(Option.none())
      expect((yield* send("/ready")).status).toBe(200)
    }),
  )
})
