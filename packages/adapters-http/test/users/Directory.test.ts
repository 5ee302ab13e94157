import { expect, layer } from "@effect/vitest"
import { Effect, Schema } from "effect"
import { client } from "../support/Client.js"
import { aRegistration, bearer, loggedIn, loggedInSuperuser, logIn, register } from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { adminUsersPath, aGroup, list, pageOf } from "../support/Listing.js"
import { testApp } from "../support/TestApp.js"

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
      const directory = (yield* client(viewer.token)).users
      const usernames = (page: { readonly items: ReadonlyArray<{ readonly username: string }> }) =>
        page.items.map((u) => u.username)
      const first = yield* directory.list({ urlParams: { search: tag, size: 2, sort: "username" } })
      expect(first).toMatchObject({ total: 5, page: 1, size: 2, pages: 3 })
      expect(usernames(first)).toEqual(names.slice(0, 2))
      const last = yield* directory.list({ urlParams: { search: tag, size: 2, page: 3, sort: "username" } })
      expect(usernames(last)).toEqual(names.slice(4))
      expect(last.next_cursor).toBeNull()
      const aliased = yield* directory.list({ urlParams: { search: tag, skip: 2, limit: 2, sort: "username" } })
      expect(aliased).toMatchObject({ page: 2, size: 2 })
      expect(usernames(aliased)).toEqual(names.slice(2, 4))
      const descending = yield* directory.list({ urlParams: { search: tag, sort: "username", order: "desc" } })
      expect(usernames(descending)).toEqual([...names].reverse())
      const after = first.next_cursor ?? ""
      const next = yield* directory.list({ urlParams: { search: tag, size: 2, sort: "username", after } })
      expect(next.page).toBeNull()
      expect(usernames(next)).toEqual(names.slice(2, 4))
    }),
  )

  it.effect("sorts only by what it shows: sort=email is a 422 naming sort", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      for (const query of ["sort=email", "sort=email&order=desc", "sort=email&size=1"]) {
        const problem = expectProblem(yield* list(viewer.token, query), 422, "invalid_request")
        expect(problem.errors?.map((e) => e.pointer)).toEqual(["#/sort"])
      }
    }),
  )

  it.effect("filters by no account flag: is_active and is_superuser are a 422 naming them", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      yield* loggedInSuperuser
      const cases = [
        ["is_superuser=true", ["#/is_superuser"]],
        ["is_active=false", ["#/is_active"]],
        ["is_active=true&is_superuser=false", ["#/is_active", "#/is_superuser"]],
      ] as const
      for (const [query, pointers] of cases) {
        const problem = expectProblem(yield* list(viewer.token, query), 422, "invalid_request")
        expect(problem.errors?.map((e) => e.pointer).sort()).toEqual([...pointers])
      }
    }),
  )

  it.effect("pages by offset down to 10,000 rows; deeper, a 422 naming page or skip says to use after", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const cases = [
        ["skip=10001", "#/skip"],
        ["skip=100000000", "#/skip"],
        ["page=502&size=20", "#/page"],
        ["page=102&limit=100", "#/page"],
        ["page=10002", "#/page"],
        ["page=1000000", "#/page"],
      ] as const
      for (const [query, pointer] of cases) {
        const problem = expectProblem(yield* list(viewer.token, query), 422, "invalid_request")
        expect(
          problem.errors?.map((e) => e.pointer),
          query,
        ).toEqual([pointer])
        expect(problem.errors?.[0]?.detail, query).toContain("after")
      }
      for (const query of ["skip=10000", "page=501&size=20", "page=101&size=100", "skip=10000&limit=100"])
        expect((yield* list(viewer.token, query)).status, query).toBe(200)
    }),
  )

  it.effect(
    "answers 422 naming each bad or unknown parameter: size or limit above 100, non-numbers, unknown sorts",
    () =>
      Effect.gen(function* () {
        const viewer = yield* loggedIn
        const cases = [
          ["size=101", ["#/size"]],
          ["limit=101", ["#/limit"]],
          ["size=abc&page=0", ["#/page", "#/size"]],
          ["sort=password&order=sideways", ["#/order", "#/sort"]],
          [`search=${"x".repeat(101)}`, ["#/search"]],
          ["page=1&page=2", ["#/page"]],
          ["role=admin", ["#/role"]],
          [`after=${"A".repeat(2049)}`, ["#/after"]],
        ] as const
        for (const [query, pointers] of cases) {
          const problem = expectProblem(yield* list(viewer.token, query), 422, "invalid_request")
          expect(problem.errors?.map((e) => e.pointer).sort(), query).toEqual([...pointers])
        }
        expect((yield* list(viewer.token, "size=100")).status).toBe(200)
      }),
  )

  it.effect("documents only the sorts and filters it offers", () =>
    Effect.gen(function* () {
      const Parameters = Schema.Struct({
        paths: Schema.Record({
          key: Schema.String,
          value: Schema.Struct({
            get: Schema.optional(
              Schema.Struct({
                parameters: Schema.Array(
                  Schema.Struct({
                    name: Schema.String,
                    schema: Schema.Struct({ enum: Schema.optional(Schema.Array(Schema.String)) }),
                  }),
                ),
              }),
            ),
          }),
        }),
      })
      const document = Schema.decodeUnknownSync(Parameters)((yield* send("/openapi.json")).body)
      const parameters = (path: string) => document.paths[path]?.get?.parameters ?? []
      const names = (path: string) =>
        parameters(path)
          .map((p) => p.name)
          .sort()
      const sorts = (path: string) => parameters(path).find((p) => p.name === "sort")?.schema.enum
      const paging = ["after", "limit", "order", "page", "search", "size", "skip", "sort"]
      expect(names("/api/v1/users")).toEqual(paging)
      expect(sorts("/api/v1/users")).toEqual(["created_at", "username", "full_name"])
      expect(names(adminUsersPath)).toEqual([...paging, "is_active", "is_superuser"].sort())
      expect(sorts(adminUsersPath)).toEqual(["created_at", "email", "username", "full_name"])
    }),
  )

  it.effect("hides inactive users and never searches emails", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag, users } = yield* aGroup(2)
      const [leaving, staying] = users
      if (leaving === undefined || staying === undefined) return expect.fail("two users")
      yield* (yield* client(yield* logIn(leaving.username, leaving.password))).users.deactivateMe()
      const page = pageOf((yield* list(viewer.token, `search=${tag}`)).body)
      expect(page.items.map((u) => u.username)).toEqual([staying.username])
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
      const profile = yield* (yield* client(viewer.token)).users.get({ path: { id: other.id } })
      expect(profile).toMatchObject({ id: other.id, username: other.username, full_name: "Grace Hopper" })
      const answer = yield* send(`/api/v1/users/${other.id}`, { headers: bearer(viewer.token) })
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
