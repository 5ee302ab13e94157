import http from "node:http"
import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { aRegistration } from "../support/Fixtures.js"
import { expectProblem, send, sendRaw } from "../support/Http.js"
import { type LogEntry, TestApp, testApp } from "../support/TestApp.js"

const registerPath = "/api/v1/auth/register"
const json = { "content-type": "application/json" }
// Every answer here is due within a second: a request left hanging fails its test instead of stalling it.
const timeoutMs = 1000

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

/** A POST that declares 100 bytes, sends part of them, and is then cut off: a client gone mid-body. */
const leaveMidBody = (requestId: string) =>
  Effect.gen(function* () {
    const { port } = yield* TestApp
    yield* Effect.async<void>((resume) => {
      const request = http.request({
        host: "127.0.0.1",
        port,
        method: "POST",
        path: registerPath,
        headers: { ...json, "content-length": "100", "x-request-id": requestId },
      })
      request.on("error", () => resume(Effect.void))
      request.write('{"email": ', () => setTimeout(() => request.destroy(), 50))
    })
  })

const isRequestLine = (entry: LogEntry) => Array.isArray(entry.message) && entry.message[0] === "request"

/** The log lines of one request, once its request line is written (at most a second later). */
const linesOf = (requestId: string) =>
  Effect.gen(function* () {
    const { logs } = yield* TestApp
    const mine = () => logs.filter((entry) => entry.annotations.request_id === requestId)
    for (let i = 0; i < 100 && !mine().some(isRequestLine); i++) yield* Effect.sleep("10 millis")
    return mine()
  })

layer(testApp(), { excludeTestServices: true })("what bad input gets", (it) => {
  it.effect("answers malformed JSON with a 400 problem", () =>
    Effect.gen(function* () {
      const answer = yield* send(registerPath, { method: "POST", headers: json, body: '{"email": "a@b.co",' })
      expectProblem(answer, 400, "malformed_body")
    }),
  )

  it.effect("answers a media type the API does not read with 415 within a second, whatever the body's length", () =>
    Effect.gen(function* () {
      const contentTypes = [
        "multipart/form-data; boundary=zz",
        "multipart/form-data",
        "multipart/mixed; boundary=zz",
        "text/plain",
        "application/xml",
        "application/octet-stream",
        "",
        "application/json; charset=utf-16",
        "application/x-www-form-urlencoded; charset=iso-8859-1",
      ]
      for (const path of [registerPath, "/api/v1/auth/login"])
        for (const contentType of contentTypes)
          for (const body of ["", "email=a@b.co", "--zz\r\n\r\n--zz--"]) {
            const answer = yield* send(path, {
              method: "POST",
              headers: { "content-type": contentType },
              body,
              timeoutMs,
            })
            expectProblem(answer, 415, "unsupported_media_type")
          }
    }),
  )

  it.effect("answers a media type it does not read with 415 before the body arrives", () =>
    Effect.gen(function* () {
      const answer = yield* sendRaw({
        method: "POST",
        path: registerPath,
        headers: { "content-type": "multipart/form-data; boundary=zz", "content-length": "100" },
        partialBody: "--zz\r\n",
        timeoutMs,
      })
      expectProblem(answer, 415, "unsupported_media_type")
    }),
  )

  it.effect("reads a body as the media type it checked, not as one named in a parameter", () =>
    Effect.gen(function* () {
      const smuggled = [
        ["application/x-www-form-urlencoded; x=multipart/form-data", "--zz\r\n\r\n--zz--", 422],
        ["application/x-www-form-urlencoded; boundary=zz; x=multipart/form-data", "", 422],
        ["application/x-www-form-urlencoded; x=application/json", `{"email":${nested(5000)}}`, 422],
        ["application/json; x=multipart/form-data; boundary=zz", JSON.stringify(aRegistration()), 201],
        ["Application/JSON; Charset=UTF-8", JSON.stringify(aRegistration()), 201],
      ] as const
      for (const [contentType, body, status] of smuggled) {
        // A refusal is due within a second; an account (201) may take longer on a loaded machine.
        const deadline = status === 201 ? {} : { timeoutMs }
        const answer = yield* send(registerPath, {
          method: "POST",
          headers: { "content-type": contentType },
          body,
          ...deadline,
        })
        expect(answer.status, contentType).toBe(status)
      }
    }),
  )

  it.effect("reads a body as UTF-8 as a browser does: a leading BOM dropped, bytes that do not decode replaced", () =>
    Effect.gen(function* () {
      const withBom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(JSON.stringify(aRegistration()))])
      expect((yield* send(registerPath, { method: "POST", headers: json, body: withBom })).status).toBe(201)
      const [before, after] = JSON.stringify(aRegistration()).split("correct")
      const invalid = new Uint8Array([
        ...new TextEncoder().encode(before),
        0xff,
        0xc3,
        ...new TextEncoder().encode(`correct${after}`),
      ])
      expect((yield* send(registerPath, { method: "POST", headers: json, body: invalid })).status).toBe(201)
    }),
  )

  it.effect("neither answers nor logs a client gone mid-body as a failure of the server", () =>
    Effect.gen(function* () {
      yield* leaveMidBody("gone-mid-body")
      const lines = yield* linesOf("gone-mid-body")
      expect(lines.map((entry) => entry.level)).not.toContain("ERROR")
      const status = lines.find(isRequestLine)?.annotations.status
      expect(status).toBeLessThan(500)
    }),
  )

  it.effect("answers a compressed body with 415: bodies are read as sent, never inflated", () =>
    Effect.gen(function* () {
      const headers = { ...json, "content-encoding": "gzip" }
      const answer = yield* send(registerPath, { method: "POST", headers, body: "\x1f\x8b", timeoutMs })
      expectProblem(answer, 415, "unsupported_content_encoding")
    }),
  )

  it.effect("answers an empty JSON body with a 400 problem", () =>
    Effect.gen(function* () {
      expectProblem(
        yield* send(registerPath, { method: "POST", headers: json, body: "", timeoutMs }),
        400,
        "malformed_body",
      )
      expectProblem(yield* send(registerPath, { method: "POST", timeoutMs }), 400, "malformed_body")
    }),
  )

  it.effect("answers a GET, HEAD or OPTIONS carrying a body it never reads, without waiting for the body", () =>
    Effect.gen(function* () {
      const multipart = { "content-type": "multipart/form-data; boundary=zz", "content-length": "100" }
      const requests = [
        ["GET", "/api/v1/auth/me", 401],
        ["GET", "/health", 200],
        ["HEAD", "/health", 200],
        ["OPTIONS", registerPath, 404],
      ] as const
      for (const [method, path, status] of requests) {
        const answer = yield* sendRaw({ method, path, headers: multipart, partialBody: "--zz\r\n", timeoutMs })
        expect(answer.status, `${method} ${path}`).toBe(status)
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
