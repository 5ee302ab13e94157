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

/** `text` streamed with no content-length, 100 bytes at a time a few milliseconds apart: many reads. */
const trickled = (text: string) => {
  const bytes = new TextEncoder().encode(text)
  let offset = 0
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (offset >= bytes.length) return controller.close()
      await new Promise((resolve) => setTimeout(resolve, 2))
      controller.enqueue(bytes.slice(offset, offset + 100))
      offset += 100
    },
  })
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

  it.effect("counts every chunk of a streamed body toward the limit, not each chunk alone", () =>
    Effect.gen(function* () {
      const headers = { "content-type": "application/json" }
      const exactly = yield* send(registerPath, { method: "POST", headers, body: trickled(registrationOfSize(limit)) })
      expect(exactly.status).toBe(201)
      const over = yield* send(registerPath, { method: "POST", headers, body: trickled(registrationOfSize(limit + 1)) })
      expectProblem(over, 413, "content_too_large")
    }),
  )
})
