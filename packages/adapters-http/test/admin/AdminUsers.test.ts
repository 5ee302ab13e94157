import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { client } from "../support/Client.js"
import {
  aRegistration,
  bearer,
  loggedIn,
  loggedInSuperuser,
  logIn,
  register,
  registrationOf,
} from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { aGroup, walk } from "../support/Listing.js"
import { testApp } from "../support/TestApp.js"

const usersPath = "/api/v1/admin/users"
const loginPath = "/api/v1/auth/login"

/** A new account as the typed client takes it; `flags` sets its privileges. */
const aNewAccount = (flags: { readonly is_active?: boolean; readonly is_superuser?: boolean } = {}) => {
  const registration = aRegistration()
  const payload = {
    ...registrationOf(registration),
    is_active: true,
    is_superuser: false,
    email_verified: false,
    ...flags,
  }
  return { registration, payload }
}

layer(testApp(), { excludeTestServices: true })("the admin endpoints, for a superuser", (it) => {
  it.effect("GET /admin/users lists inactive accounts too, with emails and flags, and filters by them", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const leaving = yield* loggedIn
      yield* (yield* client(leaving.token)).users.deactivateMe()
      const userkit = yield* client(admin.token)
      const byEmail = yield* userkit.admin.list({ urlParams: { search: leaving.email } })
      expect(byEmail.items.map(({ id, email, is_active }) => ({ id, email, is_active }))).toEqual([
        { id: leaving.id, email: leaving.email, is_active: false },
      ])
      const listed = yield* userkit.admin.list({ urlParams: { is_active: false, size: 100 } })
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
      const promoted = yield* (yield* client(admin.token)).admin.update({
        path: { id: deputy.id },
        payload: { is_superuser: true },
      })
      expect(promoted.is_superuser).toBe(true)
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
      const userkit = yield* client(admin.token)
      const account = { ...aRegistration(), full_name: "Grace Hopper", is_superuser: true }
      const created = yield* send(usersPath, { method: "POST", headers: bearer(admin.token), json: account })
      expect(created.status).toBe(201)
      expect(created.body).toMatchObject({ email: account.email, is_superuser: true, is_active: true })
      expect(created.text).not.toContain(account.password)
      const token = yield* logIn(account.username, account.password)
      expect((yield* (yield* client(token)).admin.list({ urlParams: {} })).total).toBeGreaterThan(0)
      const again = yield* send(usersPath, {
        method: "POST",
        headers: bearer(admin.token),
        json: { ...aRegistration(), email: account.email.toUpperCase() },
      })
      expectProblem(again, 409, "email_already_registered")
      const dormant = aNewAccount({ is_active: false })
      expect((yield* userkit.admin.create({ payload: dormant.payload })).is_active).toBe(false)
      expectProblem(yield* send(loginPath, { method: "POST", form: dormant.registration }), 401, "unauthorized")
      const wrong = yield* send(usersPath, {
        method: "POST",
        headers: bearer(admin.token),
        json: { ...aRegistration(), role: "admin", password: "short" },
      })
      expect(expectProblem(wrong, 422, "invalid_request").errors?.map((e) => e.pointer)).toEqual(["#/role"])
      const weak = yield* send(usersPath, {
        method: "POST",
        headers: bearer(admin.token),
        json: { ...aRegistration(), password: "short" },
      })
      expect(expectProblem(weak, 422, "invalid_request").errors?.map((e) => e.pointer)).toEqual(["#/password"])
    }),
  )

  it.effect("GET /admin/users/{id} answers any account, inactive too, and 404 for unknown or malformed ids", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const user = yield* loggedIn
      yield* (yield* client(user.token)).users.deactivateMe()
      const found = yield* (yield* client(admin.token)).admin.get({ path: { id: user.id } })
      expect(found).toMatchObject({ id: user.id, email: user.email, is_active: false, is_superuser: false })
      for (const id of [crypto.randomUUID(), "not-a-uuid", "me"])
        expectProblem(yield* send(`${usersPath}/${id}`, { headers: bearer(admin.token) }), 404, "user_not_found")
    }),
  )

  it.effect("PATCH /admin/users/{id} activates, promotes and sets a password", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const user = yield* loggedIn
      yield* (yield* client(user.token)).users.deactivateMe()
      const changes = { is_active: true, is_superuser: true, password: "a fresh admin-set password", bio: "promoted" }
      const answer = yield* send(`${usersPath}/${user.id}`, {
        method: "PATCH",
        headers: bearer(admin.token),
        json: changes,
      })
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ id: user.id, is_active: true, is_superuser: true, bio: "promoted" })
      expect(answer.text).not.toContain(changes.password)
      expectProblem(yield* send(loginPath, { method: "POST", form: user }), 401, "unauthorized")
      const token = yield* logIn(user.email, changes.password)
      expect((yield* (yield* client(token)).admin.list({ urlParams: {} })).total).toBeGreaterThan(0)
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
      yield* (yield* client(admin.token)).admin.delete({ path: { id: user.id } })
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
      yield* (yield* client(admin.token)).admin.create({ payload: aNewAccount({ is_superuser: true }).payload })
      const demoted = yield* send(path, { method: "PATCH", headers, json: { is_superuser: false } })
      expect(demoted.body).toMatchObject({ is_superuser: false })
      // A demotion ends the account's sessions: its token no longer works at all.
      expectProblem(yield* send(usersPath, { headers }), 401, "unauthorized")
    }),
  )
})
