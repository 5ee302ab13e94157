import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { aRegistration } from "./support/Fixtures.js"
import { expectProblem, send, sendRaw } from "./support/Http.js"
import { testApp } from "./support/TestApp.js"

const registerPath = "/api/v1/auth/register"
const json = { "content-type": "application/json" }

/** `depth` nested arrays, as JSON text. */
const nested = (depth: number) => `${"[".repeat(depth)}${"]".repeat(depth)}`

/** A body streamed in 64 KiB chunks with no content-length, so the server only learns its size by reading. */
const chunkedBody = (chunks: number) =>
  new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < chunks; i++) controller.enqueue(new Uint8Array(64 * 1024).fill(0x20))
      controller.close()
    },
  })

layer(testApp(), { excludeTestServices: true })("what bad input gets", (it) => {
  it.effect("answers malformed JSON with a 400 problem", () =>
    Effect.gen(function* () {
      const answer = yield* send(registerPath, { method: "POST", headers: json, body: '{"email": "a@b.co",' })
      expectProblem(answer, 400, "malformed_body")
    }),
  )

  it.effect("answers a body in a media type the API does not speak with 415", () =>
    Effect.gen(function* () {
      for (const contentType of ["text/plain", "application/xml", "multipart/form-data; boundary=x"]) {
        const answer = yield* send(registerPath, {
          method: "POST",
          headers: { "content-type": contentType },
          body: "email=a@b.co",
        })
        expectProblem(answer, 415, "unsupported_media_type")
      }
    }),
  )

  it.effect("answers a declared length over the limit with 413 before reading the body", () =>
    Effect.gen(function* () {
      const answer = yield* sendRaw({
        method: "POST",
        path: registerPath,
        headers: { ...json, "content-length": String(9 * 1024 * 1024) },
        partialBody: '{"email": ',
      })
      expectProblem(answer, 413, "content_too_large")
      expect(answer.headers.get("connection")).toBe("close")
    }),
  )

  it.effect("answers a 9 MB body with 413", () =>
    Effect.gen(function* () {
      const answer = yield* send(registerPath, { method: "POST", headers: json, body: "x".repeat(9 * 1024 * 1024) })
      expectProblem(answer, 413, "content_too_large")
    }),
  )

  it.effect("answers a chunked body that grows past the limit with 413, not a reset or a hang", () =>
    Effect.gen(function* () {
      const answer = yield* send(registerPath, { method: "POST", headers: json, body: chunkedBody(128) })
      expectProblem(answer, 413, "content_too_large")
    }),
  )

  it.effect("still reads a chunked body under the limit", () =>
    Effect.gen(function* () {
      const registration = JSON.stringify(aRegistration())
      const body = new Blob([registration]).stream()
      const answer = yield* send(registerPath, { method: "POST", headers: json, body })
      expect(answer.status).toBe(201)
    }),
  )

  it.effect("answers JSON nested 5,000 levels deep inside a field with a 4xx problem", () =>
    Effect.gen(function* () {
      const body = JSON.stringify(aRegistration()).replace('"email":', `"email":${nested(5000)},"x":`)
      const answer = yield* send(registerPath, { method: "POST", headers: json, body })
      expectProblem(answer, 400, "nesting_too_deep")
    }),
  )

  it.effect("does not count brackets inside strings as nesting", () =>
    Effect.gen(function* () {
      const answer = yield* send(registerPath, { method: "POST", json: { ...aRegistration(), bio: nested(100) } })
      expect(answer.status).toBe(201)
    }),
  )

  it.effect("lists at most 20 wrong fields, however many were sent", () =>
    Effect.gen(function* () {
      const unknown = Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`field${i}`, i]))
      const answer = yield* send(registerPath, { method: "POST", json: { ...aRegistration(), ...unknown } })
      const problem = expectProblem(answer, 422, "invalid_request")
      expect(problem.errors).toHaveLength(20)
      expect(problem.detail).toMatch(/and 80 more$/)
    }),
  )

  it.effect("answers unknown routes and wrong methods with a 404 problem", () =>
    Effect.gen(function* () {
      expectProblem(yield* send("/nowhere"), 404, "not_found")
      expectProblem(yield* send("/api/v1/auth/register"), 404, "not_found")
      expectProblem(yield* send("/health", { method: "DELETE" }), 404, "not_found")
    }),
  )
})
