import { expect, layer } from "@effect/vitest"
import { Effect, Option, Redacted } from "effect"
import { client } from "../support/Client.js"
import {
  aRegistration,
  bearer,
  loggedIn,
  loggedInSuperuser,
  logIn,
  register,
  registrationOf,
  storedUser,
} from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const mePath = "/api/v1/users/me"
const passwordPath = "/api/v1/users/me/password"
const loginPath = "/api/v1/auth/login"

layer(testApp(), { excludeTestServices: true })("the caller's own account", (it) => {
  it.effect("PATCH and PUT /users/me change the given profile fields and keep the others", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const userkit = yield* client(user.token)
      const patched = yield* userkit.users.updateMe({ payload: { full_name: "Ada Lovelace", bio: "Engines." } })
      expect(patched).toMatchObject({ username: user.username, full_name: "Ada Lovelace", bio: "Engines." })
      const put = yield* userkit.users.replaceMe({ payload: { bio: null } })
      expect(put).toMatchObject({ full_name: "Ada Lovelace", bio: null, is_superuser: false })
      expect(yield* userkit.auth.me()).toMatchObject({ full_name: "Ada Lovelace", bio: null })
    }),
  )

  it.effect("refuses privileged and unknown fields with a 422 naming each, and changes nothing", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const before = yield* storedUser(user.id)
      const fields = ["is_superuser", "is_active", "id", "password", "created_at", "updated_at", "role"]
      for (const method of ["PATCH", "PUT"]) {
        for (const field of fields) {
          const answer = yield* send(mePath, {
            method,
            headers: bearer(user.token),
            json: { full_name: "Mallory", [field]: field !== "is_active" },
          })
          const problem = expectProblem(answer, 422, "invalid_request")
          expect(problem.errors?.map((e) => e.pointer)).toEqual([`#/${field}`])
        }
      }
      expect(yield* storedUser(user.id)).toEqual(before)
      const me = yield* send("/api/v1/auth/me", { headers: bearer(user.token) })
      expect(me.body).toMatchObject({ is_superuser: false, is_active: true, full_name: null })
    }),
  )

  it.effect("a new email needs the account's password: 422 without it, 400 when wrong, and nothing changes", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const headers = bearer(user.token)
      const email = `moved-${user.email}`
      const without = yield* send(mePath, { method: "PATCH", headers, json: { email } })
      const problem = expectProblem(without, 422, "current_password_required")
      expect(JSON.stringify(problem)).toContain("#/current_password")
      const wrong = yield* send(mePath, { method: "PATCH", headers, json: { email, current_password: "not it" } })
      expectProblem(wrong, 400, "wrong_password")
      expect((yield* send("/api/v1/auth/me", { headers })).body).toMatchObject({ email: user.email })
      // The same address in another case is no new address: no password asked.
      const recased = yield* send(mePath, { method: "PATCH", headers, json: { email: user.email.toUpperCase() } })
      expect(recased.status).toBe(200)
      const moved = yield* send(mePath, { method: "PATCH", headers, json: { email, current_password: user.password } })
      expect(moved.status).toBe(200)
      expect(moved.body).toMatchObject({ email, email_verified: false })
    }),
  )

  it.effect("answers 409 for an email or username another account has, in any case", () =>
    Effect.gen(function* () {
      const other = yield* register()
      const user = yield* loggedIn
      const headers = bearer(user.token)
      const email = yield* send(mePath, {
        method: "PATCH",
        headers,
        json: { email: other.email.toUpperCase(), current_password: user.password },
      })
      expectProblem(email, 409, "email_already_registered")
      const name = yield* send(mePath, { method: "PATCH", headers, json: { username: other.username.toUpperCase() } })
      expectProblem(name, 409, "username_taken")
      const invalid = yield* send(mePath, { method: "PATCH", headers, json: { email: "nope", avatar_url: "ftp://x" } })
      expect(expectProblem(invalid, 422, "invalid_request").errors?.map((e) => e.pointer)).toEqual([
        "#/email",
        "#/avatar_url",
      ])
    }),
  )

  it.effect("POST /users/me/password changes the password: the new one logs in, the old one no longer", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const newPassword = "an even better passphrase"
      yield* (yield* client(user.token)).users.changePassword({
        payload: { current_password: Redacted.make(user.password), new_password: Redacted.make(newPassword) },
      })
      const old = yield* send(loginPath, { method: "POST", form: { username: user.username, password: user.password } })
      expectProblem(old, 401, "unauthorized")
      expect(yield* logIn(user.username, newPassword)).not.toBe("")
    }),
  )

  it.effect("answers a wrong current password with one fixed 400, and a weak new one with a 422", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const headers = bearer(user.token)
      const wrong = yield* send(passwordPath, {
        method: "POST",
        headers,
        json: { current_password: "not-my-password", new_password: "an even better passphrase" },
      })
      expect(expectProblem(wrong, 400, "wrong_password").detail).toBe("the current password is not correct")
      expect(wrong.text).not.toContain("not-my-password")
      const weak = yield* send(passwordPath, {
        method: "POST",
        headers,
        json: { current_password: user.password, new_password: "short" },
      })
      expect(expectProblem(weak, 422, "invalid_request").errors).toEqual([
        { pointer: "#/new_password", detail: "password must be at least 8 characters" },
      ])
      expect(weak.text).not.toContain(user.password)
      expect((yield* send(loginPath, { method: "POST", form: user })).status).toBe(200)
    }),
  )

  it.effect("DELETE /users/me deactivates: 204, then its tokens get 401 and it cannot log in", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      yield* (yield* client(user.token)).users.deactivateMe()
      expect(Option.map(yield* storedUser(user.id), (u) => u.is_active)).toEqual(Option.some(false))
      for (const [path, method] of [
        ["/api/v1/auth/me", "GET"],
        [mePath, "PATCH"],
        [mePath, "DELETE"],
        ["/api/v1/users", "GET"],
      ] as const) {
        const body = method === "GET" ? {} : { json: {} }
        const refused = yield* send(path, { method, headers: bearer(user.token), ...body })
        expect(expectProblem(refused, 401, "unauthorized").detail).toBe("Could not validate credentials")
      }
      const login = yield* send(loginPath, { method: "POST", form: { username: user.email, password: user.password } })
      expectProblem(login, 401, "unauthorized")
    }),
  )

  it.effect("answers 401 to every own-account endpoint without a valid token", () =>
    Effect.gen(function* () {
      const routes = [
        ["PATCH", mePath],
        ["PUT", mePath],
        ["DELETE", mePath],
        ["POST", passwordPath],
      ] as const
      for (const [method, path] of routes) {
        for (const headers of [{}, { authorization: "Bearer nope" }]) {
          expectProblem(yield* send(path, { method, headers, json: { bio: "x" } }), 401, "unauthorized")
        }
      }
    }),
  )
})

layer(testApp(), { excludeTestServices: true })("deactivating the last active superuser", (it) => {
  it.effect("is refused with a 409, and works once another superuser exists", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const refused = yield* send(mePath, { method: "DELETE", headers: bearer(admin.token) })
      const problem = expectProblem(refused, 409, "last_active_superuser")
      expect(problem.detail).toContain("no active superuser")
      expect((yield* send("/api/v1/auth/me", { headers: bearer(admin.token) })).status).toBe(200)
      const userkit = yield* client(admin.token)
      yield* userkit.admin.create({
        payload: { ...registrationOf(aRegistration()), is_active: true, is_superuser: true, email_verified: false },
      })
      yield* userkit.users.deactivateMe()
      expectProblem(yield* send("/api/v1/auth/me", { headers: bearer(admin.token) }), 401, "unauthorized")
    }),
  )
})
