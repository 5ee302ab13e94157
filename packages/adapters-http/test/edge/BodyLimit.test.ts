import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { aRegistration } from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const registerPath = "/api/v1/auth/register"
const limit = 1024

/** A valid registration padded with spaces (insignificant in JSON) to `size` bytes. */
const registrationOfSize = (size: number) => {
  const body = JSON.stringify(aRegistration())
  return `${body.slice(0, -1)}${" ".repeat(size - body.length)}}`
}

layer(testApp({ maxBodyBytes: limit }), { excludeTestServices: true })("the maxBodyBytes option", (it) => {
  it.effect("accepts a body of exactly the limit", () =>
    Effect.gen(function* () {
      const answer = yield* send(registerPath, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: registrationOfSize(limit),
      })
      expect(answer.status).toBe(201)
    }),
  )

  it.effect("refuses one byte more, declared or chunked", () =>
    Effect.gen(function* () {
      const body = registrationOfSize(limit + 1)
      const headers = { "content-type": "application/json" }
      expectProblem(yield* send(registerPath, { method: "POST", headers, body }), 413, "content_too_large")
      const chunked = new Blob([body]).stream()
      expectProblem(yield* send(registerPath, { method: "POST", headers, body: chunked }), 413, "content_too_large")
    }),
  )
})
