import { describe, expect } from "@effect/vitest"
import { Effect, Option } from "effect"
import { type SortField, type SortPosition, sortKeyOf } from "../users/UserQuery.js"
import { UserRepository } from "../users/UserRepository.js"
import { aStoredUser } from "./fixtures.js"
import { aQuery, type ContractTest, idsOf } from "./support.js"

const at = (iso: string) => new Date(iso)

// Five users whose every sort field has something to say: case, ties, a missing name, non-ASCII.
const sortable = () => {
  const u1 = aStoredUser({
    email: "b@x.io",
    username: "Charlie",
    full_name: "Émile",
    created_at: at("2026-03-01T00:00:00Z"),
  })
  const u2 = aStoredUser({
    email: "A@x.io",
    username: "alpha",
    full_name: null,
    created_at: at("2026-01-01T00:00:00Z"),
  })
  const u3 = aStoredUser({
    id: "0190a000-0000-7000-8000-000000000001",
    email: "c@x.io",
    username: "bravo",
    full_name: "Zoë",
    created_at: at("2026-02-01T00:00:00Z"),
  })
  const u4 = aStoredUser({
    id: "0190a000-0000-7000-8000-000000000002",
    email: "d@x.io",
    username: "delta",
    full_name: "Zoë",
    created_at: at("2026-02-01T00:00:00Z"),
  })
  const u5 = aStoredUser({
    email: "e@x.io",
    username: "Echo",
    full_name: "zed",
    created_at: at("2026-04-01T00:00:00Z"),
  })
  return [u1, u2, u3, u4, u5]
}

export const userSearchContract = (test: ContractTest) =>
  describe("search", () => {
    test(
      "sorts by each field both ways, by code point, ties broken by id",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const users = sortable()
        for (const stored of users) yield* repo.insert(stored)
        const id = (i: number) => users[i - 1]?.user.id
        const expected: Record<SortField, ReadonlyArray<string | undefined>> = {
          created_at: [id(2), id(3), id(4), id(1), id(5)],
          email: [id(2), id(1), id(3), id(4), id(5)],
          username: [id(2), id(3), id(1), id(4), id(5)],
          // "" (no name) < "Zoë" < "zed" < "Émile": code points, not a locale's dictionary order.
          full_name: [id(2), id(3), id(4), id(5), id(1)],
        }
        for (const sort of ["created_at", "email", "username", "full_name"] as const) {
          expect(yield* idsOf(aQuery({ sort })), sort).toEqual(expected[sort])
          expect(yield* idsOf(aQuery({ sort, descending: true })), `${sort} desc`).toEqual(
            [...expected[sort]].reverse(),
          )
        }
      }),
    )

    test(
      "pages by cursor exactly as by offset, both ways",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        for (const name of ["kim", "Lee", "ann", "Bob", "joe", "Max", "eve"])
          yield* repo.insert(aStoredUser({ username: name }))
        for (const descending of [false, true]) {
          const byOffset = yield* idsOf(aQuery({ sort: "username", descending }))
          const walked: Array<string> = []
          let after = Option.none<SortPosition>()
          for (let page = 0; page < 4; page++) {
            const found = yield* repo.search(aQuery({ sort: "username", descending, after, limit: 3 }))
            walked.push(...found.items.map((u) => u.id))
            expect(found.total).toBe(7)
            const last = found.items.at(-1)
            if (last === undefined) break
            after = Option.some({ key: sortKeyOf(last, "username"), id: last.id })
          }
          expect(walked).toEqual(byOffset)
          expect(yield* idsOf(aQuery({ sort: "username", descending, offset: 3, limit: 3 }))).toEqual(
            byOffset.slice(3, 6),
          )
        }
      }),
    )

    test(
      "finds a case-insensitive substring of the chosen fields, with % and _ taken literally",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const zoe = aStoredUser({ email: "zoe@zoe-mail.org", username: "zoe", full_name: "Zoë Ångström" })
        const zhanna = aStoredUser({ username: "zhanna", full_name: "Жанна Петрова" })
        const percent = aStoredUser({ username: "percent", full_name: "100% sure" })
        const under = aStoredUser({ username: "under_score", full_name: null })
        const lookalike = aStoredUser({ username: "underXscore", full_name: "100 percent" })
        for (const stored of [zoe, zhanna, percent, under, lookalike]) yield* repo.insert(stored)
        const find = (
          text: string,
          searchIn: ReadonlyArray<"email" | "username" | "full_name"> = ["username", "full_name"],
        ) => idsOf(aQuery({ search: Option.some(text), searchIn }))
        expect(yield* find("ZOË")).toEqual([zoe.user.id])
        expect(yield* find("ångSTRÖM")).toEqual([zoe.user.id])
        expect(yield* find("жанна")).toEqual([zhanna.user.id])
        expect(yield* find("%")).toEqual([percent.user.id])
        expect(yield* find("r_s")).toEqual([under.user.id])
        expect(yield* find("_")).toEqual([under.user.id])
        expect(yield* find("zoe-mail")).toEqual([])
        expect(yield* find("ZOE-Mail.ORG", ["email"])).toEqual([zoe.user.id])
        expect(yield* find("nobody")).toEqual([])
      }),
    )

    test(
      "filters on active and superuser, and counts every match up to a cap",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const users = [
          aStoredUser({ is_active: true }),
          aStoredUser({ is_active: true, is_superuser: true }),
          aStoredUser({ is_active: false }),
          aStoredUser({ is_active: false, is_superuser: true }),
          aStoredUser({ is_active: true }),
        ]
        for (const stored of users) yield* repo.insert(stored)
        const count = (overrides: Parameters<typeof aQuery>[0]) => repo.search(aQuery(overrides))
        expect((yield* count({ isActive: Option.some(true) })).items).toHaveLength(3)
        expect((yield* count({ isActive: Option.some(false) })).items).toHaveLength(2)
        expect((yield* count({ isSuperuser: Option.some(true) })).items).toHaveLength(2)
        const activeSuper = yield* count({ isActive: Option.some(true), isSuperuser: Option.some(true) })
        expect(activeSuper.items.map((u) => u.id)).toEqual([users[1]?.user.id])
        const firstOfThree = yield* count({ isActive: Option.some(true), limit: 1, offset: 1 })
        expect(firstOfThree).toMatchObject({ total: 3, totalIsExact: true })
        expect(firstOfThree.items).toHaveLength(1)
        expect(yield* count({ countUpTo: 2 })).toMatchObject({ total: 2, totalIsExact: false })
        expect(yield* count({ countUpTo: 5 })).toMatchObject({ total: 5, totalIsExact: true })
      }),
    )
  })
