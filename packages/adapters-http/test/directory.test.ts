import { expect, layer } from "@effect/vitest"
import { Effect, Redacted, Schema } from "effect"
import { aRegistration, bearer, loggedIn, loggedInSuperuser, logIn, register } from "./support/Fixtures.js"
import { expectProblem, send } from "./support/Http.js"
import { adminUsersPath, aGroup, cursorPayload, type Item, list, pageOf, walk } from "./support/Listing.js"
import { testApp } from "./support/TestApp.js"

/** The sort key a directory cursor may carry for the last item shown: a value on the page, and nothing else. */
const shownKey = (item: Item, sort: string) =>
  sort === "created_at" ? item.created_at : sort === "username" ? item.username.toLowerCase() : (item.full_name ?? "")

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

  it.effect("follows next_cursor through every match once, in every order it offers, both ways", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const names = ["Zoe", null, "ada", "Ada", "Émile"]
      const { tag, users } = yield* aGroup(5, (i) => {
        const full_name = names[i]
        return typeof full_name === "string" ? { full_name } : {}
      })
      for (const sort of ["created_at", "username", "full_name"]) {
        for (const order of ["asc", "desc"]) {
          const query = `search=${tag}&sort=${sort}&order=${order}`
          const all = pageOf((yield* list(viewer.token, `${query}&size=100`)).body).items.map((u) => u.id)
          expect(all.slice().sort()).toEqual(users.map((u) => u.id).sort())
          const walked = yield* walk(viewer.token, `${query}&size=2`)
          expect(
            walked.map((u) => u.id),
            query,
          ).toEqual(all)
        }
      }
      const second = pageOf((yield* list(viewer.token, `search=${tag}&size=2`)).body)
      const after = encodeURIComponent(second.next_cursor ?? "")
      expect(pageOf((yield* list(viewer.token, `search=${tag}&size=2&after=${after}`)).body).page).toBeNull()
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

  it.effect("lets no cursor tell an email: a cursor carries the last item's shown sort key and id, nothing else", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag, users } = yield* aGroup(3, (i) => ({ full_name: `Person ${3 - i}` }))
      const emails = users.map((u) => u.email.toLowerCase())
      for (const sort of ["created_at", "username", "full_name", "email"]) {
        for (const order of ["asc", "desc"]) {
          const answer = yield* list(viewer.token, `search=${tag}&size=1&sort=${sort}&order=${order}`)
          if (sort === "email") {
            expectProblem(answer, 422, "invalid_request")
            continue
          }
          const page = pageOf(answer.body)
          const [last] = page.items
          if (last === undefined || page.next_cursor === null) return expect.fail(`${sort}: a first page of one`)
          const carried = cursorPayload(page.next_cursor)
          for (const email of emails) expect(JSON.stringify(carried).toLowerCase()).not.toContain(email)
          expect(carried, sort).toEqual([shownKey(last, sort), last.id])
        }
      }
    }),
  )

  it.effect("refuses a forged, altered, truncated or foreign cursor, or one for another order: 422 naming after", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const admin = yield* loggedInSuperuser
      const { tag, users } = yield* aGroup(3)
      const query = `search=${tag}&size=1&sort=username`
      const cursor = pageOf((yield* list(viewer.token, query)).body).next_cursor ?? ""
      const [payload = "", mac = ""] = cursor.split(".")
      expect(mac).not.toBe("")
      const forged = Buffer.from(JSON.stringify([users[2]?.username.toLowerCase(), users[2]?.id])).toString("base64url")
      const flipped = `${mac.slice(0, -1)}${mac.endsWith("A") ? "B" : "A"}`
      const fromAdmin = pageOf((yield* list(admin.token, query, adminUsersPath)).body).next_cursor ?? ""
      const refused: ReadonlyArray<readonly [string, string]> = [
        ["an altered position", `${forged}.${mac}`],
        ["an altered tag", `${payload}.${flipped}`],
        ["a truncated cursor", cursor.slice(0, -2)],
        ["no tag", payload],
        ["another spelling", `${payload}.${mac}=`],
        ["the seed's cursor", "WyJ1c2VybmFtZSIsZmFsc2UsImEiLCIxIl0"],
        ["garbage", "garbage"],
        ["a cursor of /admin/users", fromAdmin],
      ]
      for (const [what, after] of refused) {
        const problem = expectProblem(
          yield* list(viewer.token, `${query}&after=${encodeURIComponent(after)}`),
          422,
          "invalid_cursor",
        )
        expect(
          problem.errors?.map((e) => e.pointer),
          what,
        ).toEqual(["#/after"])
      }
      for (const other of ["sort=username&order=desc", "sort=full_name", "sort=created_at", ""]) {
        const answer = yield* list(viewer.token, `search=${tag}&${other}&after=${encodeURIComponent(cursor)}`)
        expectProblem(answer, 422, "invalid_cursor")
      }
      // The directory's cursor is no good for administration either.
      expectProblem(
        yield* list(admin.token, `${query}&after=${encodeURIComponent(cursor)}`, adminUsersPath),
        422,
        "invalid_cursor",
      )
      expect((yield* list(viewer.token, `${query}&after=${encodeURIComponent(cursor)}`)).status).toBe(200)
    }),
  )

  it.effect("refuses its cursors on an app with another key, as after SECRET_KEY is rotated", () =>
    Effect.gen(function* () {
      const viewer = yield* loggedIn
      const { tag } = yield* aGroup(2)
      const cursor = pageOf((yield* list(viewer.token, `search=${tag}&size=1`)).body).next_cursor ?? ""
      const elsewhere = Effect.gen(function* () {
        const other = yield* loggedIn
        return yield* list(other.token, `search=${tag}&size=1&after=${encodeURIComponent(cursor)}`)
      })
      const rotated = Redacted.make(new TextEncoder().encode("the cursor key after a rotation, 32+ bytes"))
      expectProblem(yield* Effect.provide(elsewhere, testApp({ cursorKey: rotated })), 422, "invalid_cursor")
      expect((yield* Effect.provide(elsewhere, testApp())).status).toBe(200)
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
      const token = yield* logIn(leaving.username, leaving.password)
      expect((yield* send("/api/v1/users/me", { method: "DELETE", headers: bearer(token) })).status).toBe(204)
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
