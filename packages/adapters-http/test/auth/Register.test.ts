import { expect, layer } from "@effect/vitest"
import { Effect, Option } from "effect"
import { client } from "../support/Client.js"
import { aRegistration, register, registrationOf, storedUser } from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const registerPath = "/api/v1/auth/register"

layer(testApp(), { excludeTestServices: true })("POST /api/v1/auth/register", (it) => {
  it.effect("creates the account and answers 201 with the user, never the password or its hash", () =>
    Effect.gen(function* () {
      const registration = { ...aRegistration(), full_name: "Ada Lovelace" }
      const answer = yield* send(registerPath, { method: "POST", json: registration })
      expect(answer.status).toBe(201)
      expect(answer.headers.get("content-type")).toBe("application/json")
      expect(Object.keys(answer.body as object).sort()).toEqual(
        [
          "avatar_url",
          "bio",
          "created_at",
          "email",
          "email_verified",
          "email_verified_at",
          "full_name",
          "id",
          "is_active",
          "is_superuser",
          "updated_at",
          "username",
        ].sort(),
      )
      expect(answer.body).toMatchObject({
        email: registration.email,
        username: registration.username,
        full_name: "Ada Lovelace",
        bio: null,
        is_active: true,
        is_superuser: false,
      })
      expect(answer.text).not.toContain(registration.password)
    }),
  )

  it.effect("opens the account through the typed client: the fields sent, defaults for the rest, stored", () =>
    Effect.gen(function* () {
      const registration = { ...aRegistration(), full_name: "Ada Lovelace" }
      const user = yield* (yield* client()).auth.register({ payload: registrationOf(registration) })
      expect(user).toMatchObject({
        email: registration.email,
        username: registration.username,
        full_name: "Ada Lovelace",
        bio: null,
        avatar_url: null,
        is_active: true,
        is_superuser: false,
      })
      expect(yield* storedUser(user.id)).toEqual(Option.some(user))
    }),
  )

  it.effect("refuses a second account with the same email in another case, naming the email", () =>
    Effect.gen(function* () {
      const first = yield* register()
      const answer = yield* send(registerPath, {
        method: "POST",
        json: { ...aRegistration(), email: first.email.toUpperCase() },
      })
      const problem = expectProblem(answer, 409, "email_already_registered")
      expect(problem.detail).toBe("this email is already registered")
    }),
  )

  it.effect("refuses a second account with the same username in another case", () =>
    Effect.gen(function* () {
      const first = yield* register()
      const answer = yield* send(registerPath, {
        method: "POST",
        json: { ...aRegistration(), username: first.username.toUpperCase() },
      })
      expect(expectProblem(answer, 409, "username_taken").detail).toBe("this username is already taken")
    }),
  )

  it.effect("answers 422 naming each wrong field, without echoing what was sent", () =>
    Effect.gen(function* () {
      const password = "short!7"
      const answer = yield* send(registerPath, {
        method: "POST",
        json: { email: "not-an-email", username: "ok_name", password },
      })
      const problem = expectProblem(answer, 422, "invalid_request")
      expect(problem.errors).toEqual([{ pointer: "#/email", detail: "email must be a valid e-mail address" }])
      expect(problem.detail).toContain("email")
      expect(answer.text).not.toContain(password)
      expect(answer.text).not.toContain("not-an-email")
      // The password policy speaks once the fields are well formed, in the same shape.
      const weak = yield* send(registerPath, {
        method: "POST",
        json: { email: "weak@example.com", username: "ok_name", password },
      })
      expect(expectProblem(weak, 422, "invalid_request").errors).toEqual([
        { pointer: "#/password", detail: "password must be at least 8 characters" },
      ])
      expect(weak.text).not.toContain(password)
    }),
  )

  it.effect("names missing and unknown fields, and the account is not created", () =>
    Effect.gen(function* () {
      const registration = aRegistration()
      const answer = yield* send(registerPath, {
        method: "POST",
        json: { email: registration.email, username: registration.username, is_superuser: true },
      })
      const problem = expectProblem(answer, 422, "invalid_request")
      expect(problem.errors?.map((e) => e.pointer).sort()).toEqual(["#/is_superuser", "#/password"])
      expect((yield* register(registration)).id).toBeDefined()
    }),
  )

  it.effect("never echoes a wrong-typed value, even in the default schema messages", () =>
    Effect.gen(function* () {
      const answer = yield* send(registerPath, {
        method: "POST",
        json: { ...aRegistration(), password: 12345678901234, bio: ["s3cr3t-bio"] },
      })
      const problem = expectProblem(answer, 422, "invalid_request")
      expect(problem.errors).toEqual([
        { pointer: "#/password", detail: "Expected string" },
        { pointer: "#/bio", detail: "Expected string" },
      ])
      expect(answer.text).not.toContain("12345678901234")
      expect(answer.text).not.toContain("s3cr3t-bio")
    }),
  )

  it.effect("answers a form missing fields with the same 422, not a crash", () =>
    Effect.gen(function* () {
      const answer = yield* send(registerPath, { method: "POST", form: { email: "a@example.com" } })
      expect(expectProblem(answer, 422, "invalid_request").errors?.map((e) => e.pointer)).toEqual([
        "#/username",
        "#/password",
      ])
    }),
  )
})
