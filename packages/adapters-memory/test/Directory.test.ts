import { describe, expect, it } from "@effect/vitest"
import {
  Accounts,
  Directory,
  type DirectoryPage,
  DirectoryParams,
  InvalidCursor,
  type PublicProfile,
  UserNotFound,
} from "@userkit/domain"
import { Effect, Either, Schema } from "effect"
import { aMember, TestDomain } from "./support/domain.js"

const params = (raw: Record<string, string> = {}) => Schema.decodeUnknownSync(DirectoryParams)(raw)

describe("the directory", () => {
  it.effect("lists active accounts only, as public profiles without emails or flags", () =>
    Effect.gen(function* () {
      const viewer = yield* aMember({ full_name: "Viewer" })
      const gone = yield* aMember({ full_name: "Gone" })
      yield* (yield* Accounts).deactivate(gone)
      const page = yield* (yield* Directory).list(viewer, params({ is_active: "false" }))
      expect(page.items.map((p) => p.id)).toEqual([viewer.id])
      expect(Object.keys(page.items[0] ?? {}).sort()).toEqual([
        "avatar_url",
        "bio",
        "created_at",
        "full_name",
        "id",
        "username",
      ])
      expect(page).toMatchObject({ total: 1, total_is_exact: true, page: 1, size: 20, pages: 1, next_cursor: null })
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("searches usernames and names, not emails, so addresses cannot be probed", () =>
    Effect.gen(function* () {
      const viewer = yield* aMember({ email: "secret-address@hidden.org", username: "seeker" })
      yield* aMember({ full_name: "Grace Hopper" })
      const directory = yield* Directory
      expect((yield* directory.list(viewer, params({ search: "hopper" }))).total).toBe(1)
      expect((yield* directory.list(viewer, params({ search: "hidden.org" }))).total).toBe(0)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("pages by page/size, by skip/limit, and by cursor to the same sequence", () =>
    Effect.gen(function* () {
      const viewer = yield* aMember({ username: "aaa_viewer" })
      for (const name of ["bravo", "charlie", "delta", "echo", "foxtrot"]) yield* aMember({ username: name })
      const directory = yield* Directory
      const all = (yield* directory.list(viewer, params({ sort: "username", size: "100" }))).items.map(
        (p) => p.username,
      )
      const second = yield* directory.list(viewer, params({ sort: "username", page: "2", size: "2" }))
      expect(second).toMatchObject({ page: 2, size: 2, pages: 3, total: 6 })
      expect(second.items.map((p) => p.username)).toEqual(all.slice(2, 4))
      const skipped = yield* directory.list(viewer, params({ sort: "username", skip: "2", limit: "2" }))
      expect(skipped.items.map((p) => p.username)).toEqual(all.slice(2, 4))
      const walked: Array<string> = []
      let after: string | null = null
      do {
        const page: DirectoryPage<PublicProfile> = yield* directory.list(
          viewer,
          params({ sort: "username", size: "2", ...(after === null ? {} : { after }) }),
        )
        walked.push(...page.items.map((p) => p.username))
        after = page.next_cursor
      } while (after !== null)
      expect(walked).toEqual(all)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("refuses a cursor made for another order, or not made by it", () =>
    Effect.gen(function* () {
      const viewer = yield* aMember()
      yield* aMember()
      const directory = yield* Directory
      const page = yield* directory.list(viewer, params({ sort: "username", size: "1" }))
      const cursor = page.next_cursor ?? ""
      expect(cursor).not.toBe("")
      for (const request of [
        { sort: "email", after: cursor },
        { sort: "username", order: "desc", after: cursor },
        { after: "bm90IGEgY3Vyc29y" },
      ]) {
        expect(yield* Effect.either(directory.list(viewer, params(request)))).toEqual(Either.left(new InvalidCursor()))
      }
    }).pipe(Effect.provide(TestDomain)),
  )

  it("refuses a page size above 100, and other malformed parameters", () => {
    for (const bad of [
      { size: "101" },
      { limit: "1000" },
      { page: "0" },
      { size: "2.5" },
      { sort: "password" },
      { is_active: "yes" },
    ]) {
      expect(Either.isLeft(Schema.decodeUnknownEither(DirectoryParams)(bad)), JSON.stringify(bad)).toBe(true)
    }
  })

  it.effect("shows one active account's public profile, and no inactive or unknown one", () =>
    Effect.gen(function* () {
      const viewer = yield* aMember()
      const other = yield* aMember({ bio: "hello" })
      const directory = yield* Directory
      expect(yield* directory.get(viewer, other.id)).toMatchObject({ id: other.id, bio: "hello" })
      yield* (yield* Accounts).deactivate(other)
      expect(yield* Effect.either(directory.get(viewer, other.id))).toEqual(Either.left(new UserNotFound()))
    }).pipe(Effect.provide(TestDomain)),
  )
})
