import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { aRegistration, bearer, loggedIn, logIn, register } from "./support/Fixtures.js"
import { expectProblem, send } from "./support/Http.js"
import { testApp } from "./support/TestApp.js"

const Page = Schema.Struct({
  items: Schema.Array(Schema.Struct({ id: Schema.String, username: Schema.String })),
  total: Schema.Number,
  total_is_exact: Schema.Boolean,
  page: Schema.NullOr(Schema.Number),
  size: Schema.Number,
  pages: Schema.Number,
  next_cursor: Schema.NullOr(Schema.String),
})
const pageOf = Schema.decodeUnknownSync(Page)

let groups = 0
/** `count` users sharing a fresh search tag, registered in order; their usernames sort in that order. */
const aGroup = (count: number) =>
  Effect.gen(function* () {
    groups += 1
    const tag = `grp${Date.now().toString(36)}x${groups}`
    const users = []
    for (let i = 0; i < count; i++) users.push(yield* register({ ...aRegistration(), username: `${tag}_${i}` }))
    return { tag, users }
  })

const list = (token: string, query: string, path = "/api/v1/users") =>
  send(`${path}?${query}`, { headers: bearer(token) })

layer(testApp(), { excludeTestServices: true })("GET /api/v1/users", (it) => {
  it.effect("answers the page envelope at /users and /users/, with public profiles only", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag } = yield* aGroup(1)
      for (const path of ["/api/v1/users", "/api/v1/users/"]) {
        const answer = yield* list(viewer.token, `search=${tag}`, path)
        expect(answer.status).toBe(200)
        expect(answer.body).toMatchObject({ total: 1, total_is_exact: true, page: 1, size: 20, pages: 1 })
        const [profile] = Schema.decodeUnknownSync(Schema.Struct({ items: Schema.Array(Schema.Object) }))(
          answer.body,
        ).items
        expect(Object.keys(profile ?? {}).sort()).toEqual(
          ["avatar_url", "bio", "created_at", "full_name", "id", "username"].sort(),
        )
        expect(answer.text).not.toContain("@example.com")
      }
    }),
  )

  it.effect("pages by page and size, or by the skip and limit aliases", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag, users } = yield* aGroup(5)
      const names = users.map((u) => u.username)
      const first = pageOf((yield* list(viewer.token, `search=${tag}&size=2&sort=username`)).body)
      expect(first).toMatchObject({ total: 5, page: 1, size: 2, pages: 3 })
      expect(first.items.map((u) => u.username)).toEqual(names.slice(0, 2))
      const last = pageOf((yield* list(viewer.token, `search=${tag}&size=2&page=3&sort=username`)).body)
      expect(last.items.map((u) => u.username)).toEqual(names.slice(4))
      expect(last.next_cursor).toBeNull()
      const aliased = pageOf((yield* list(viewer.token, `search=${tag}&skip=2&limit=2&sort=username`)).body)
      expect(aliased).toMatchObject({ page: 2, size: 2 })
      expect(aliased.items.map((u) => u.username)).toEqual(names.slice(2, 4))
      const descending = pageOf((yield* list(viewer.token, `search=${tag}&sort=username&order=desc`)).body)
      expect(descending.items.map((u) => u.username)).toEqual([...names].reverse())
    }),
  )

  it.effect("follows next_cursor through every match once, and refuses a cursor it did not make", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag, users } = yield* aGroup(5)
      const seen: Array<string> = []
      let query = `search=${tag}&size=2&sort=username`
      for (let round = 0; round < 5; round++) {
        const page = pageOf((yield* list(viewer.token, query)).body)
        seen.push(...page.items.map((u) => u.username))
        if (page.next_cursor === null) break
        if (round > 0) expect(page.page).toBeNull()
        query = `search=${tag}&size=2&sort=username&after=${encodeURIComponent(page.next_cursor)}`
      }
      expect(seen).toEqual(users.map((u) => u.username))
      const cursor = pageOf((yield* list(viewer.token, `search=${tag}&size=2&sort=username`)).body).next_cursor ?? ""
      for (const after of ["garbage", "eyJhIjoxfQ", cursor]) {
        const answer = yield* list(viewer.token, `search=${tag}&sort=email&after=${encodeURIComponent(after)}`)
        const problem = expectProblem(answer, 422, "invalid_cursor")
        expect(problem.errors?.map((e) => e.pointer)).toEqual(["#/after"])
      }
    }),
  )

  it.effect("answers 422 naming each bad parameter: size or limit above 100, non-numbers, unknown sorts", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const cases = [
        ["size=101", ["#/size"]],
        ["limit=101", ["#/limit"]],
        ["size=abc&page=0", ["#/page", "#/size"]],
        ["sort=password&order=sideways", ["#/sort", "#/order"]],
        ["is_active=maybe", ["#/is_active"]],
        [`search=${"x".repeat(101)}`, ["#/search"]],
        ["page=1&page=2", ["#/page"]],
      ] as const
      for (const [query, pointers] of cases) {
        const problem = expectProblem(yield* list(viewer.token, query), 422, "invalid_request")
        expect(problem.errors?.map((e) => e.pointer).sort()).toEqual([...pointers].sort())
      }
      expect((yield* list(viewer.token, "size=100")).status).toBe(200)
    }),
  )

  it.effect("hides inactive users, even when asked for them, and never searches emails", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag, users } = yield* aGroup(2)
      const [leaving, staying] = users
      if (leaving === undefined || staying === undefined) return expect.fail("two users")
      const token = yield* logIn(leaving.username, leaving.password)
      expect((yield* send("/api/v1/users/me", { method: "DELETE", headers: bearer(token) })).status).toBe(204)
      for (const query of [`search=${tag}`, `search=${tag}&is_active=false`]) {
        const page = pageOf((yield* list(viewer.token, query)).body)
        expect(page.items.map((u) => u.username)).toEqual([staying.username])
      }
      expect(pageOf((yield* list(viewer.token, `search=${encodeURIComponent(staying.email)}`)).body).total).toBe(0)
    }),
  )

  it.effect("answers 401 without a valid token", () =>
    Effect.gen(function* () {
      expectProblem(yield* send("/api/v1/users"), 401, "unauthorized")
      expectProblem(yield* send("/api/v1/users/?size=1000"), 401, "unauthorized")
    }),
  )
})

layer(testApp(), { excludeTestServices: true })("GET /api/v1/users/{id}", (it) => {
  it.effect("answers an active user's public profile", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const other = yield* register({ ...aRegistration(), full_name: "Grace Hopper" })
      const answer = yield* send(`/api/v1/users/${other.id}`, { headers: bearer(viewer.token) })
      expect(answer.status).toBe(200)
      expect(answer.body).toMatchObject({ id: other.id, username: other.username, full_name: "Grace Hopper" })
      expect(answer.text).not.toContain(other.email)
      expect(answer.text).not.toContain("is_superuser")
    }),
  )

  it.effect("answers the same 404 for an unknown, an inactive and a malformed id", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const inactive = yield* loggedIn
      yield* send("/api/v1/users/me", { method: "DELETE", headers: bearer(inactive.token) })
      const ids = [crypto.randomUUID(), inactive.id, "not-a-uuid", "123", "me", "%20", `${viewer.id}x`]
      const answers = []
      for (const id of ids) answers.push(yield* send(`/api/v1/users/${id}`, { headers: bearer(viewer.token) }))
      for (const answer of answers) {
        expect(expectProblem(answer, 404, "user_not_found").detail).toBe("no such user")
        expect(answer.text).toBe(answers[0]?.text)
      }
      // Past the router's 100-character limit on a parameter, or not percent-decodable: no route matches, still a 404.
      for (const id of ["x".repeat(300), "%E0%A4%A"])
        expectProblem(yield* send(`/api/v1/users/${id}`, { headers: bearer(viewer.token) }), 404, "not_found")
    }),
  )
})
