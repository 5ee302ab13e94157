import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const Media = Schema.Struct({ schema: Schema.Unknown, example: Schema.optional(Schema.Unknown) })
const Content = Schema.Record({ key: Schema.String, value: Media })
const Operation = Schema.Struct({
  summary: Schema.String,
  description: Schema.String,
  security: Schema.Array(Schema.Record({ key: Schema.String, value: Schema.Array(Schema.String) })),
  parameters: Schema.Array(
    Schema.Struct({ name: Schema.String, in: Schema.String, example: Schema.optional(Schema.Unknown) }),
  ),
  requestBody: Schema.optional(Schema.Struct({ content: Content })),
  responses: Schema.Record({ key: Schema.String, value: Schema.Struct({ content: Schema.optional(Content) }) }),
})
const Document = Schema.Struct({
  paths: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: Operation }) }),
  components: Schema.Struct({ securitySchemes: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }),
})

const documentOf = Effect.map(send("/openapi.json"), (answer) => Schema.decodeUnknownSync(Document)(answer.body))

const operationsOf = (document: typeof Document.Type) =>
  Object.entries(document.paths).flatMap(([path, item]) =>
    Object.entries(item).map(([method, operation]) => ({ name: `${method.toUpperCase()} ${path}`, path, operation })),
  )

/** What `GET /openapi.json` is read as by the test of its basics. */
const Served = Schema.Struct({
  info: Schema.Struct({ title: Schema.String, version: Schema.String }),
  paths: Schema.Record({
    key: Schema.String,
    value: Schema.Record({
      key: Schema.String,
      value: Schema.Struct({
        summary: Schema.String,
        requestBody: Schema.optional(
          Schema.Struct({ content: Schema.Record({ key: Schema.String, value: Schema.Unknown }) }),
        ),
        responses: Schema.Record({ key: Schema.String, value: Schema.Unknown }),
      }),
    }),
  }),
})

const publicOperations = [
  "POST /api/v1/auth/register",
  "POST /api/v1/auth/login",
  "POST /api/v1/auth/refresh",
  "POST /api/v1/auth/password/forgot",
  "POST /api/v1/auth/password/reset",
  "POST /api/v1/auth/email/verify",
  "GET /health",
  "GET /ready",
  "GET /.well-known/jwks.json",
]

layer(testApp(), { excludeTestServices: true })("the OpenAPI document", (it) => {
  it.effect("GET /openapi.json documents the auth endpoints, both login encodings and problem answers", () =>
    Effect.gen(function* () {
      const answer = yield* send("/openapi.json")
      expect(answer.status).toBe(200)
      const document = Schema.decodeUnknownSync(Served)(answer.body)
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

  it.effect("lists every endpoint, old and new, and nothing outside the API", () =>
    Effect.gen(function* () {
      const names = operationsOf(yield* documentOf).map((o) => o.name)
      expect(names.sort()).toEqual(
        [
          ...publicOperations,
          "GET /api/v1/auth/me",
          "POST /api/v1/auth/logout",
          "GET /api/v1/auth/sessions",
          "DELETE /api/v1/auth/sessions/{id}",
          "POST /api/v1/auth/email/verify/request",
          "GET /api/v1/users/me/events",
          "GET /api/v1/admin/audit",
          "PATCH /api/v1/users/me",
          "PUT /api/v1/users/me",
          "DELETE /api/v1/users/me",
          "POST /api/v1/users/me/password",
          "GET /api/v1/users",
          "GET /api/v1/users/{id}",
          "GET /api/v1/admin/users",
          "POST /api/v1/admin/users",
          "GET /api/v1/admin/users/{id}",
          "PATCH /api/v1/admin/users/{id}",
          "DELETE /api/v1/admin/users/{id}",
          "GET /api/v1/admin/users/{id}/sessions",
          "DELETE /api/v1/admin/users/{id}/sessions/{session}",
        ].sort(),
      )
    }),
  )

  it.effect("gives every operation a summary, a description, and an example for each body and parameter", () =>
    Effect.gen(function* () {
      for (const { name, operation } of operationsOf(yield* documentOf)) {
        expect(operation.summary.length, name).toBeGreaterThan(3)
        expect(operation.description.length, name).toBeGreaterThan(20)
        for (const [type, media] of Object.entries(operation.requestBody?.content ?? {}))
          expect(media.example, `${name} request ${type}`).toBeDefined()
        for (const parameter of operation.parameters.filter((p) => p.in === "path"))
          expect(parameter.example, `${name} ${parameter.name}`).toBeDefined()
        for (const [status, response] of Object.entries(operation.responses))
          for (const media of Object.values(response.content ?? {}))
            expect(media.example, `${name} ${status}`).toBeDefined()
      }
    }),
  )

  it.effect("declares each operation's error answers as problem+json", () =>
    Effect.gen(function* () {
      for (const { name, path, operation } of operationsOf(yield* documentOf)) {
        const statuses = Object.keys(operation.responses)
        const expected = ["500"]
        if (!publicOperations.includes(name)) expected.push("401")
        if (path.startsWith("/api/v1/admin/")) expected.push("403")
        if (operation.requestBody !== undefined) expected.push("400", "413", "415", "422")
        if (operation.parameters.some((p) => p.in === "query")) expected.push("422")
        if (path.endsWith("{id}")) expected.push("404")
        expect(statuses, name).toEqual(expect.arrayContaining(expected))
        for (const status of statuses.filter((s) => Number(s) >= 400))
          expect(Object.keys(operation.responses[status]?.content ?? {}), `${name} ${status}`).toEqual([
            "application/problem+json",
          ])
      }
    }),
  )

  it.effect("declares the OAuth2 password flow through the login endpoint, and secures what needs a token", () =>
    Effect.gen(function* () {
      const document = yield* documentOf
      expect(document.components.securitySchemes).toEqual({
        OAuth2PasswordBearer: {
          type: "oauth2",
          description: expect.any(String),
          flows: { password: { tokenUrl: "/api/v1/auth/login", scopes: {} } },
        },
      })
      const login = document.paths["/api/v1/auth/login"]?.post
      expect(Object.keys(login?.requestBody?.content ?? {})).toContain("application/x-www-form-urlencoded")
      for (const { name, operation } of operationsOf(document))
        expect(operation.security, name).toEqual(publicOperations.includes(name) ? [] : [{ OAuth2PasswordBearer: [] }])
    }),
  )
})
