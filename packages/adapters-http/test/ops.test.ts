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

  it.effect("GET /docs serves the page with a strict content security policy, its scripts from this server", () =>
    Effect.gen(function* () {
      const answer = yield* send("/docs")
      expect(answer.status).toBe(200)
      expect(answer.headers.get("content-type")).toContain("text/html")
      const policy = answer.headers.get("content-security-policy") ?? ""
      expect(policy).toContain("frame-ancestors 'none'")
      expect(policy).toMatch(/script-src 'self'(;|$)/)
      expect(policy).not.toContain("unsafe")
      expect(policy).not.toMatch(/https?:/)
      // Every script is a file of this server's or inert JSON: nothing inline for the policy to allow.
      const scripts = answer.text.match(/<script[^>]*>/g) ?? []
      expect(scripts.length).toBeGreaterThanOrEqual(2)
      for (const tag of scripts) expect(tag).toMatch(/src="\/docs\/assets\/[\w.-]+\.js"|type="application\/json"/)
      expect(answer.text).not.toMatch(/(src|href)=["']?(https?:)?\/\//)
      // The document itself is inline, Swagger UI's 2 MB are not.
      expect(answer.text.length).toBeLessThan(500_000)
    }),
  )

  it.effect("GET /docs and its assets can be cached: hashed assets for a year, the page revalidated by ETag", () =>
    Effect.gen(function* () {
      const page = yield* send("/docs")
      const etag = page.headers.get("etag") ?? ""
      expect(etag).toMatch(/^"[\w-]+"$/)
      expect(page.headers.get("cache-control")).toBe("no-cache")
      const unchanged = yield* send("/docs", { headers: { "if-none-match": etag } })
      expect(unchanged.status).toBe(304)
      expect(unchanged.text).toBe("")

      const assets = Array.from(page.text.matchAll(/(?:src|href)="(\/docs\/assets\/[^"]+)"/g), (m) => m[1] ?? "")
      expect(assets).toHaveLength(3)
      let bytes = 0
      for (const path of assets) {
        const first = yield* send(path)
        expect(first.status, path).toBe(200)
        expect(first.headers.get("cache-control"), path).toBe("public, max-age=31536000, immutable")
        bytes += first.text.length
        const again = yield* send(path, { headers: { "if-none-match": first.headers.get("etag") ?? "" } })
        expect(again.status, path).toBe(304)
        expect(again.text, path).toBe("")
      }
      expect(bytes).toBeGreaterThan(1_000_000)
      expect((yield* send("/docs/assets/swagger-ui-bundle.0000000000000000.js")).status).toBe(404)
    }),
  )
})
