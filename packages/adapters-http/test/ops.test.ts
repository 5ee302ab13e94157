import { expect, layer } from "@effect/vitest"
import { Effect, Option, Schema } from "effect"
import { expectProblem, send } from "./support/Http.js"
import { TestApp, testApp } from "./support/TestApp.js"

const Operation = Schema.Struct({
  summary: Schema.String,
  requestBody: Schema.optional(
    Schema.Struct({ content: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }),
  ),
  responses: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
})
const Document = Schema.Struct({
  info: Schema.Struct({ title: Schema.String, version: Schema.String }),
  paths: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Operation }) }),
})

layer(testApp(), { excludeTestServices: true })("operations and documentation", (it) => {
  it.effect("GET /health answers 200 ok", () =>
    Effect.gen(function* () {
      const answer = yield* send("/health")
      expect(answer.status).toBe(200)
      expect(answer.body).toEqual({ status: "ok" })
    }),
  )

  it.effect("GET /ready answers 200 when ready and a 503 problem with the reason when not", () =>
    Effect.gen(function* () {
      const app = yield* TestApp
      expect((yield* send("/ready")).status).toBe(200)
      yield* app.setNotReady(Option.some("database unreachable"))
      const answer = yield* send("/ready")
      expect(expectProblem(answer, 503, "not_ready").detail).toBe("database unreachable")
      expect((yield* send("/health")).status).toBe(200)
      yield* app.setNotReady(Option.none())
      expect((yield* send("/ready")).status).toBe(200)
    }),
  )

  it.effect("GET /openapi.json documents the auth endpoints, both login encodings and problem answers", () =>
    Effect.gen(function* () {
      const answer = yield* send("/openapi.json")
      expect(answer.status).toBe(200)
      const document = Schema.decodeUnknownSync(Document)(answer.body)
      expect(document.info).toEqual({ title: "userkit", version: "1.0.0" })
      expect(Object.keys(document.paths)).toEqual(
        expect.arrayContaining(["/api/v1/auth/register", "/api/v1/auth/login", "/api/v1/auth/me", "/health", "/ready"]),
      )
      const login = document.paths["/api/v1/auth/login"]?.post
      expect(Object.keys(login?.requestBody?.content ?? {}).sort()).toEqual([
        "application/json",
        "application/x-www-form-urlencoded",
      ])
      expect(login?.responses["401"]).toMatchObject({ content: { "application/problem+json": {} } })
      expect(document.paths["/api/v1/auth/me"]?.get?.responses["401"]).toBeDefined()
      expect(document.paths["/api/v1/auth/register"]?.post?.responses["422"]).toBeDefined()
      // Schema failures are 422 problems here, so the platform's 400 decode error is not promised.
      expect(answer.text).not.toContain("HttpApiDecodeError")
    }),
  )

  it.effect("GET /docs serves the documentation page with its scripts inline", () =>
    Effect.gen(function* () {
      const answer = yield* send("/docs")
      expect(answer.status).toBe(200)
      expect(answer.headers.get("content-type")).toContain("text/html")
      expect(answer.text).toContain("SwaggerUIBundle")
      expect(answer.text).not.toMatch(/<script[^>]+src=|<link[^>]+href=["']?https?:/)
    }),
  )
})
