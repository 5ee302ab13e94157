import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { aRegistration, bearer, loggedIn, loggedInSuperuser, logIn, register } from "./support/Fixtures.js"
import { expectProblem, send } from "./support/Http.js"
import { aGroup, walk } from "./support/Listing.js"
import { testApp } from "./support/TestApp.js"

const usersPath = "/api/v1/admin/users"
const loginPath = "/api/v1/auth/login"
const Listed = Schema.Struct({
  total: Schema.Number,
  items: Schema.Array(Schema.Struct({ id: Schema.String, email: Schema.String, is_active: Schema.Boolean })),
})

layer(testApp(), { excludeTestServices: true })("the admin endpoints, for a superuser", (it) => {
  it.effect("GET /admin/users lists inactive accounts too, with emails and flags, and filters by them", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const leaving = yield* loggedIn
      yield* send("/api/v1/users/me", { method: "DELETE", headers: bearer(leaving.token) })
      const byEmail = yield* send(`${usersPath}?search=${encodeURIComponent(leaving.email)}`, {
        headers: bearer(admin.token),
      })
      expect(byEmail.status).toBe(200)
      expect(Schema.decodeUnknownSync(Listed)(byEmail.body).items).toEqual([
        { id: leaving.id, email: leaving.email, is_active: false },
      ])
      const inactive = yield* send(`${usersPath}?is_active=false&size=100`, { headers: bearer(admin.token) })
      const listed = Schema.decodeUnknownSync(Listed)(inactive.body)
      expect(listed.items.map((u) => u.id)).toContain(leaving.id)
      expect(listed.items.every((u) => !u.is_active)).toBe(true)
      expectProblem(yield* send(`${usersPath}?after=nope`, { headers: bearer(admin.token) }), 422, "invalid_cursor")
      expectProblem(yield* send(`${usersPath}?size=101`, { headers: bearer(admin.token) }), 422, "invalid_request")
    }),
  )

  it.effect("GET /admin/users sorts by email and filters by flags, and its cursors walk every such order", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      // Emails in another order than the usernames, one of them in capitals.
      const { tag, users } = yield* aGroup(5, (i) => ({ email: `${"ECADB"[i]}-${Date.now()}@${i}.example.com` }))
      const deputy = users[3]
      if (deputy === undefined) return expect.fail("five users")
      const promoted = yield* send(`${usersPath}/${deputy.id}`, {
        method: "PATCH",
        headers: bearer(admin.token),
        json: { is_superuser: true },
      })
      expect(promoted.status).toBe(200)
      const byEmail = users.map((u) => u.email).sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1))
      for (const [order, expected] of [
        ["asc", byEmail],
        ["desc", [...byEmail].reverse()],
      ] as const) {
        const walked = yield* walk(admin.token, `search=${tag}&sort=email&order=${order}&size=2`, usersPath)
        expect(walked.map((u) => u.email)).toEqual(expected)
      }
      const superusers = yield* walk(admin.token, `search=${tag}&is_superuser=true&size=1`, usersPath)
      expect(superusers.map((u) => u.id)).toEqual([deputy.id])
      const ordinary = yield* walk(admin.token, `search=${tag}&is_superuser=false&is_active=true&size=2`, usersPath)
      expect(ordinary.map((u) => u.id)).toEqual(users.filter((u) => u !== deputy).map((u) => u.id))
      const deep = yield* send(`${usersPath}?skip=10001`, { headers: bearer(admin.token) })
      expect(expectProblem(deep, 422, "invalid_request").errors?.map((e) => e.pointer)).toEqual(["#/skip"])
    }),
  )

  it.effect("POST /admin/users opens an account, privileges included, and refuses a taken email", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const account = { ...aRegistration(), full_name: "Grace Hopper", is_superuser: true }
      const created = yield* send(usersPath, { method: "POST", headers: bearer(admin.token), json: account })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ email: account.email, is_superuser: true, is_active: true })
      expect(created.text).not.toContain(account.password)
      const token = yield* logIn(account.username, account.password)
      expect((yield* send(usersPath, { headers: bearer(token) })).status).toBe(200)
      const again = yield* send(usersPath, {
        method: "POST",
        headers: bearer(admin.token),
        json: { ...aRegistration(), email: account.email.toUpperCase() },
      })
      expectProblem(again, 409, "email_already_registered")
      const dormant = aRegistration()
      const opened = yield* send(usersPath, {
        method: "POST",
        headers: bearer(admin.token),
        json: { ...dormant, is_active: false },
      })
      expect(opened.status).toBe(201)
      expectProblem(yield* send(loginPath, { method: "POST", form: dormant }), 401, "unauthorized")
      const wrong = yield* send(usersPath, {
        method: "POST",
        headers: bearer(admin.token),
        json: { ...aRegistration(), role: "admin", password: "short" },
      })
      expect(
        expectProblem(wrong, 422, "invalid_request")
          .errors?.map((e) => e.pointer)
          .sort(),
      ).toEqual(["#/password", "#/role"])
    }),
  )

  it.effect("GET /admin/users/{id} answers any account, inactive too, and 404 for unknown or malformed ids", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const user = yield* loggedIn
      yield* send("/api/v1/users/me", { method: "DELETE", headers: bearer(user.token) })
      const answer = yield* send(`${usersPath}/${user.id}`, { headers: bearer(admin.token) })
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ id: user.id, email: user.email, is_active: false, is_superuser: false })
      for (const id of [crypto.randomUUID(), "not-a-uuid", "me"])
        expectProblem(yield* send(`${usersPath}/${id}`, { headers: bearer(admin.token) }), 404, "user_not_found")
    }),
  )

  it.effect("PATCH /admin/users/{id} activates, promotes and sets a password", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const user = yield* loggedIn
      const path = `${usersPath}/${user.id}`
      const headers = bearer(admin.token)
      yield* send("/api/v1/users/me", { method: "DELETE", headers: bearer(user.token) })
      const changes = { is_active: true, is_superuser: true, password: "a fresh admin-set password", bio: "promoted" }
      const answer = yield* send(path, { method: "PATCH", headers, json: changes })
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ id: user.id, is_active: true, is_superuser: true, bio: "promoted" })
      expect(answer.text).not.toContain(changes.password)
      expectProblem(yield* send(loginPath, { method: "POST", form: user }), 401, "unauthorized")
      const token = yield* logIn(user.email, changes.password)
      expect((yield* send(usersPath, { headers: bearer(token) })).status).toBe(200)
    }),
  )

  it.effect("PATCH refuses a taken username (409), unknown fields (422) and unknown users (404)", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const headers = bearer(admin.token)
      const user = yield* register()
      const other = yield* register()
      const path = `${usersPath}/${user.id}`
      const taken = yield* send(path, { method: "PATCH", headers, json: { username: other.username } })
      expectProblem(taken, 409, "username_taken")
      const unknown = yield* send(path, { method: "PATCH", headers, json: { id: crypto.randomUUID() } })
      expect(expectProblem(unknown, 422, "invalid_request").errors?.map((e) => e.pointer)).toEqual(["#/id"])
      const missing = `${usersPath}/${crypto.randomUUID()}`
      expectProblem(yield* send(missing, { method: "PATCH", headers, json: { bio: "x" } }), 404, "user_not_found")
    }),
  )

  it.effect("DELETE /admin/users/{id} removes the account: 204, then 404, and its token gets 401", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const user = yield* loggedIn
      const path = `${usersPath}/${user.id}`
      expect((yield* send(path, { method: "DELETE", headers: bearer(admin.token) })).status).toBe(204)
      expectProblem(yield* send(path, { headers: bearer(admin.token) }), 404, "user_not_found")
      expectProblem(yield* send(path, { method: "DELETE", headers: bearer(admin.token) }), 404, "user_not_found")
      expectProblem(yield* send("/api/v1/auth/me", { headers: bearer(user.token) }), 401, "unauthorized")
    }),
  )
})

layer(testApp(), { excludeTestServices: true })("the last active superuser", (it) => {
  it.effect("cannot be demoted, deactivated or deleted (409), until another superuser exists", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const headers = bearer(admin.token)
      const path = `${usersPath}/${admin.id}`
      for (const json of [{ is_superuser: false }, { is_active: false }]) {
        const answer = yield* send(path, { method: "PATCH", headers, json })
        expect(expectProblem(answer, 409, "last_active_superuser").detail).toContain("no active superuser")
      }
      expectProblem(yield* send(path, { method: "DELETE", headers }), 409, "last_active_superuser")
      expect((yield* send(path, { headers })).body).toMatchObject({ is_active: true, is_superuser: true })
      const other = { ...aRegistration(), is_superuser: true }
      const created = yield* send(usersPath, { method: "POST", headers, json: other })
      expect(created.status).toBe(201)
      const demoted = yield* send(path, { method: "PATCH", headers, json: { is_superuser: false } })
      expect(demoted.body).toMatchObject({ is_superuser: false })
      expectProblem(yield* send(usersPath, { headers }), 403, "forbidden")
    }),
  )
})
