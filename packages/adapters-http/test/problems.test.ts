import type { HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cause, Effect, Logger } from "effect"
import { problemResponses } from "../src/middleware/Problems.js"
import { Conflict, problem } from "../src/Problem.js"

const bodyOf = (response: HttpServerResponse.HttpServerResponse): unknown =>
  response.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(response.body.body)) : undefined

const internalError = {
  type: "urn:userkit:problem:internal_error",
  title: "Internal Server Error",
  status: 500,
  detail: "an unexpected error occurred",
  code: "internal_error",
}

// No request can make the server fail this way on purpose, so the mapping is checked on its own.
describe("unexpected failures", () => {
  it.effect("a defect becomes a 500 problem with a generic detail, and its cause goes to the log only", () =>
    Effect.gen(function* () {
      const logged: Array<unknown> = []
      const capture = Logger.make(({ cause }) => logged.push(Cause.pretty(cause)))
      const response = yield* problemResponses(Effect.die(new Error("pool lost: postgres://admin:hunter2@db"))).pipe(
        Effect.provide(Logger.replace(Logger.defaultLogger, capture)),
      )
      expect(response.status).toBe(500)
      expect(response.headers["content-type"]).toBe("application/problem+json")
      expect(bodyOf(response)).toEqual(internalError)
      expect(String(logged)).toContain("pool lost")
    }),
  )

  it.effect("an undeclared failure becomes the same 500", () =>
    Effect.gen(function* () {
      const response = yield* problemResponses(Effect.fail({ reason: "an internal detail" }))
      expect(response.status).toBe(500)
      expect(bodyOf(response)).toEqual(internalError)
    }),
  )

  it.effect("a declared problem is answered as it is", () =>
    Effect.gen(function* () {
      const response = yield* problemResponses(Effect.fail(problem(Conflict, "username_taken", "taken")))
      expect(response.status).toBe(409)
      expect(bodyOf(response)).toMatchObject({ code: "username_taken", detail: "taken" })
    }),
  )
})
