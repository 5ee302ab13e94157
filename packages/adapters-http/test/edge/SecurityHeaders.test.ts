import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { bearer, loggedIn } from "../support/Fixtures.js"
import { type Answer, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const expectHardened = (answer: Answer, what: string) => {
  expect(answer.headers.get("x-content-type-options"), what).toBe("nosniff")
  expect(answer.headers.get("referrer-policy"), what).toBe("no-referrer")
  expect(answer.headers.get("content-security-policy"), what).toContain("frame-ancestors 'none'")
}

layer(testApp(), { excludeTestServices: true })("headers on every answer", (it) => {
  it.effect("every /api answer, problems and 404s too, is hardened and never stored by a cache", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const json = { "content-type": "application/json" }
      const answers: ReadonlyArray<readonly [string, Answer]> = [
        ["me", yield* send("/api/v1/auth/me", { headers: bearer(user.token) })],
        [
          "login",
          yield* send("/api/v1/auth/login", {
            method: "POST",
            form: { username: user.username, password: user.password },
          }),
        ],
        ["401", yield* send("/api/v1/auth/me")],
        ["404 under /api", yield* send("/api/v1/nowhere?token=x")],
        [
          "415",
          yield* send("/api/v1/auth/register", {
            method: "POST",
            headers: { "content-type": "text/plain" },
            body: "x",
          }),
        ],
        ["422", yield* send("/api/v1/auth/register", { method: "POST", json: {} })],
        ["400", yield* send("/api/v1/auth/register", { method: "POST", headers: json, body: "{" })],
        ["413", yield* send("/api/v1/auth/register", { method: "POST", headers: json, body: "x".repeat(100_000) })],
      ]
      expect(answers.map(([, answer]) => answer.status)).toEqual([200, 200, 401, 404, 415, 422, 400, 413])
      for (const [what, answer] of answers) {
        expectHardened(answer, what)
        expect(answer.headers.get("cache-control"), what).toBe("no-store")
      }
    }),
  )

  it.effect("answers outside /api are hardened too, and not stored unless they are static files", () =>
    Effect.gen(function* () {
      for (const path of ["/health", "/ready", "/openapi.json", "/nowhere", "/docs"]) {
        const answer = yield* send(path)
        expectHardened(answer, path)
        if (path !== "/docs") expect(answer.headers.get("cache-control"), path).toBe("no-store")
      }
    }),
  )
})
