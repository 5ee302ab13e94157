import { expect, layer } from "@effect/vitest"
import { PasswordHasher, UserRepository } from "@userkit/domain"
import { aStoredUser } from "@userkit/domain/testing"
import { Effect, Redacted } from "effect"
import { client } from "../support/Client.js"
import { aRegistration, register } from "../support/Fixtures.js"
import { type Answer, expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const loginPath = "/api/v1/auth/login"

/**
 * Seconds left of a lifetime of `full`: counted from the login's instant in whole seconds, so one
 * fewer when a second boundary passed before the answer (a slow machine crosses one now and then).
 */
const secondsLeftOf = (full: number) => expect.toSatisfy((left: number) => left === full || left === full - 1)

const expectSession = (answer: Answer, username: string) => {
  expect(answer.status).toBe(200)
  expect(answer.headers.get("cache-control")).toBe("no-store")
  expect(answer.body).toMatchObject({
    access_token: expect.stringMatching(/^[\w-]+\.[\w-]+\.[\w-]+$/),
    token_type: "bearer",
    expires_in: secondsLeftOf(300),
    refresh_token: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/),
    refresh_expires_in: secondsLeftOf(7 * 24 * 3600),
    user: { username },
  })
  expect(Object.keys(answer.body as object).sort()).toEqual([
    "access_token",
    "expires_in",
    "refresh_expires_in",
    "refresh_token",
    "token_type",
    "user",
  ])
}

/** A deactivated account whose password is known, set up through the store (the API cannot deactivate yet). */
const inactiveUser = Effect.gen(function* () {
  const password = "correct horse battery"
  const passwordHash = yield* (yield* PasswordHasher).hash(Redacted.make(password))
  const stored = aStoredUser({ is_active: false, passwordHash })
  yield* (yield* UserRepository).insert(stored)
  return { username: stored.user.username, password }
})

layer(testApp(), { excludeTestServices: true })("POST /api/v1/auth/login", (it) => {
  it.effect("logs in with the OAuth2 password form, by username and by email", () =>
    Effect.gen(function* () {
      const user = yield* register()
      const byUsername = { username: user.username, password: user.password }
      expectSession(yield* send(loginPath, { method: "POST", form: byUsername }), user.username)
      const byEmail = { username: user.email.toUpperCase(), password: user.password }
      expectSession(yield* send(loginPath, { method: "POST", form: byEmail }), user.username)
    }),
  )

  it.effect("logs in through the typed client (JSON), by username and by email", () =>
    Effect.gen(function* () {
      const user = yield* register()
      const userkit = yield* client()
      for (const username of [user.username, user.email]) {
        const password = Redacted.make(user.password)
        const [session, response] = yield* userkit.auth.login({ payload: { username, password }, withResponse: true })
        expect(response.headers["cache-control"]).toBe("no-store")
        expect(session).toMatchObject({ token_type: "bearer", expires_in: secondsLeftOf(300), user: { id: user.id } })
        const me = yield* (yield* client(Redacted.value(session.access_token))).auth.me()
        expect(me.username).toBe(user.username)
      }
    }),
  )

  it.effect("answers a wrong password, an unknown user and an inactive account identically", () =>
    Effect.gen(function* () {
      const user = yield* register()
      const inactive = yield* inactiveUser
      const attempts = [
        { username: user.username, password: "not the password" },
        { username: aRegistration().username, password: user.password },
        inactive,
      ]
      const answers: Array<Answer> = []
      for (const form of attempts) answers.push(yield* send(loginPath, { method: "POST", form }))
      for (const answer of answers) {
        expect(expectProblem(answer, 401, "unauthorized").detail).toBe("Could not validate credentials")
        expect(answer.headers.get("www-authenticate")).toBe("Bearer")
        expect(answer.text).toBe(answers[0]?.text)
      }
    }),
  )

  it.effect("accepts the form as Swagger UI's Authorize button posts it: grant_type, scope and client fields", () =>
    Effect.gen(function* () {
      const user = yield* register()
      const form = {
        grant_type: "password",
        username: user.username,
        password: user.password,
        scope: "",
        client_id: "swagger-ui",
        client_secret: "",
      }
      // Swagger UI sends the (empty) client credentials as Basic by default; the login ignores them.
      const headers = { authorization: "Basic Og==" }
      expectSession(yield* send(loginPath, { method: "POST", headers, form }), user.username)
      expectSession(yield* send(loginPath, { method: "POST", json: form }), user.username)
      const other = { ...form, grant_type: "client_credentials", scope: "admin users:write" }
      expectSession(yield* send(loginPath, { method: "POST", form: other }), user.username)
    }),
  )

  it.effect("answers 422 for a login missing its password, without echoing the login", () =>
    Effect.gen(function* () {
      const answer = yield* send(loginPath, { method: "POST", form: { username: "someone-secret" } })
      expect(expectProblem(answer, 422, "invalid_request").errors).toEqual([
        { pointer: "#/password", detail: "is missing" },
      ])
      expect(answer.text).not.toContain("someone-secret")
    }),
  )
})
