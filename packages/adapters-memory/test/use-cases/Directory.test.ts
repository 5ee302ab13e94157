import { describe, expect, it } from "@effect/vitest"
import {
  Directory,
  HiddenField,
  MAX_OFFSET,
  OwnAccount,
  PageTooDeep,
  type SortField,
  type SortPosition,
  UserNotFound,
} from "@userkit/domain"
import { aListingRequest } from "@userkit/domain/testing"
import { Effect, Either, Option } from "effect"
import { aMember, TestDomain } from "../support/domain.js"

const request = aListingRequest

describe("the directory", () => {
  it.effect("lists active accounts only, as public profiles without emails or flags", () =>
    Effect.gen(function* () {
      const viewer = yield* aMember({ full_name: "Viewer" })
      const gone = yield* aMember({ full_name: "Gone" })
      yield* (yield* OwnAccount).deactivate(gone)
      const page = yield* (yield* Directory).list(request())
      expect(page.items.map((p) => p.id)).toEqual([viewer.id])
      expect(Object.keys(page.items[0] ?? {}).sort()).toEqual([
        "avatar_url",
        "bio",
        "created_at",
        "full_name",
        "id",
        "username",
      ])
      expect(page).toMatchObject({ total: 1, totalIsExact: true, next: Option.none() })
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("searches usernames and names, not emails, so addresses cannot be probed", () =>
    Effect.gen(function* () {
      yield* aMember({ email: "secret-address@hidden.org", username: "seeker" })
      yield* aMember({ full_name: "Grace Hopper" })
      const directory = yield* Directory
      expect((yield* directory.list(request({ search: Option.some("hopper") }))).total).toBe(1)
      expect((yield* directory.list(request({ search: Option.some("hidden.org") }))).total).toBe(0)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("refuses to sort by email or filter by a flag: it shows neither, so its order must not tell them", () =>
    Effect.gen(function* () {
      yield* aMember()
      const directory = yield* Directory
      const refusals = [
        [{ sort: "email" }, new HiddenField({ field: "email", use: "sort" })],
        [{ isActive: Option.some(true) }, new HiddenField({ field: "is_active", use: "filter" })],
        [{ isSuperuser: Option.some(true) }, new HiddenField({ field: "is_superuser", use: "filter" })],
      ] as const
      for (const [overrides, refusal] of refusals)
        expect(yield* Effect.either(directory.list(request(overrides)))).toEqual(Either.left(refusal))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("pages by offset and by the next position to the same sequence, in every order it offers", () =>
    Effect.gen(function* () {
      for (const [username, full_name] of [
        ["delta", "Ada"],
        ["bravo", null],
        ["Echo", "ada"],
        ["charlie", "Zoe"],
        ["alpha", "Ada"],
      ] as const)
        yield* aMember({ username, full_name })
      const directory = yield* Directory
      const sorts: ReadonlyArray<SortField> = ["created_at", "username", "full_name"]
      for (const sort of sorts) {
        for (const descending of [false, true]) {
          const all = (yield* directory.list(request({ sort, descending, size: 100 }))).items.map((p) => p.id)
          expect(all).toHaveLength(5)
          const byOffset = yield* directory.list(request({ sort, descending, offset: 2, size: 2 }))
          expect(byOffset.items.map((p) => p.id)).toEqual(all.slice(2, 4))
          const walked: Array<string> = []
          let after = Option.none<SortPosition>()
          do {
            const page = yield* directory.list(request({ sort, descending, size: 2, after }))
            walked.push(...page.items.map((p) => p.id))
            after = page.next
          } while (Option.isSome(after))
          expect(walked, `${sort} ${descending ? "desc" : "asc"}`).toEqual(all)
        }
      }
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("reaches 10,000 rows deep by offset, and no deeper: past that, only a position goes", () =>
    Effect.gen(function* () {
      yield* aMember()
      const directory = yield* Directory
      expect((yield* directory.list(request({ offset: MAX_OFFSET }))).items).toEqual([])
      expect(yield* Effect.either(directory.list(request({ offset: MAX_OFFSET + 1 })))).toEqual(
        Either.left(new PageTooDeep()),
      )
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("shows one active account's public profile, and no inactive or unknown one", () =>
    Effect.gen(function* () {
      const other = yield* aMember({ bio: "hello" })
      const directory = yield* Directory
      expect(yield* directory.get(other.id)).toMatchObject({ id: other.id, bio: "hello" })
      yield* (yield* OwnAccount).deactivate(other)
      expect(yield* Effect.either(directory.get(other.id))).toEqual(Either.left(new UserNotFound()))
    }).pipe(Effect.provide(TestDomain)),
  )
})
