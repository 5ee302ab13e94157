import { describe, expect, it } from "@effect/vitest"
import {
  comparePosition,
  type SortField,
  type SortPosition,
  searchMatches,
  sortKeyOf,
  type User,
  UserId,
  type UserQuery,
  UserRepository,
} from "@userkit/domain"
import { aQuery, aStoredUser } from "@userkit/domain/testing"
import { Effect, type Layer, Option } from "effect"

// Names where PostgreSQL's lower() and JS toLowerCase disagree (İ, final sigma, circled letters on
// PGlite), or UTF-16 order differs from code point order (astral letters).
const at = (iso: string) => new Date(iso)
const people = () => [
  aStoredUser({ full_name: "İpek Yılmaz", email: "Ipek@x.io", created_at: at("2026-02-01T00:00:00Z") }),
  aStoredUser({ full_name: "ΟΔΥΣΣΕΥΣ", created_at: at("2026-02-01T00:00:00Z") }),
  aStoredUser({ full_name: "Ⓐnna Ⓑ", email: "anna@x.io", created_at: at("2026-01-01T00:00:00.001Z") }),
  aStoredUser({ full_name: "𝔘ma", created_at: at("2026-03-01T00:00:00Z") }),
  aStoredUser({ full_name: "\uFB01ne", created_at: at("2026-03-01T00:00:00Z") }),
  aStoredUser({ full_name: null, username: "no_name", created_at: at("2025-12-31T23:59:59.999Z") }),
  aStoredUser({ full_name: "Émile 100%_\\", created_at: at("2026-04-01T00:00:00Z") }),
]

const aCappedQuery = (overrides: Partial<UserQuery>): UserQuery => aQuery({ countUpTo: 100, ...overrides })

/** The ids `query` asks for, by the spec's own functions (search, order and position only). */
const bySpec = (users: ReadonlyArray<User>, query: UserQuery) => {
  const sign = query.descending ? -1 : 1
  const position = (u: User): SortPosition => ({ key: sortKeyOf(u, query.sort), id: u.id })
  return users
    .filter((u) =>
      Option.match(query.search, { onNone: () => true, onSome: (t) => searchMatches(u, t, query.searchIn) }),
    )
    .filter((u) =>
      Option.match(query.after, { onNone: () => true, onSome: (p) => sign * comparePosition(u, p, query.sort) > 0 }),
    )
    .sort((a, b) => sign * comparePosition(a, position(b), query.sort))
    .slice(query.offset, query.offset + query.limit)
    .map((u) => u.id)
}

/** Search cases the contract leaves out, checked against the spec's own functions, on an empty `repository`. */
export const userSearchSuite = (name: string, repository: Layer.Layer<UserRepository, unknown>) =>
  describe(`PgUserRepository search beyond the contract: ${name}`, () => {
    const check = (queries: (users: ReadonlyArray<User>) => ReadonlyArray<UserQuery>) =>
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = people()
        for (const s of stored) yield* repo.insert(s)
        const users = stored.map((s) => s.user)
        for (const query of queries(users)) {
          const found = yield* repo.search(query)
          expect(
            found.items.map((u) => u.id),
            JSON.stringify(query),
          ).toEqual(bySpec(users, query))
        }
      }).pipe(Effect.provide(repository))

    it.live("lower-cases as JS does where PostgreSQL's lower() does not, and takes % _ \\ and NUL literally", () =>
      check(() =>
        [
          "İPEK",
          "i\u0307pek",
          "ipek",
          "ΟΔΥΣΣΕΥΣ",
          "οδυσσευς",
          "ⓐnna ⓑ",
          "𝔘",
          "FINE",
          "ﬁ",
          "%_\\",
          "_\\",
          "\\",
          "a\u0000",
          "",
        ].flatMap((text) => [
          aCappedQuery({ search: Option.some(text) }),
          aCappedQuery({ search: Option.some(text), searchIn: ["full_name"], sort: "full_name" }),
          aCappedQuery({ search: Option.some(text), searchIn: [] }),
        ]),
      ),
    )

    it.live("orders by code point and pages from any position, even one no user has, as the spec does", () =>
      check((users) => {
        const fields: ReadonlyArray<SortField> = ["created_at", "email", "username", "full_name"]
        const someId = users[1]?.id ?? "0190a000-0000-7000-8000-000000000001"
        const positions = (sort: SortField): ReadonlyArray<SortPosition> =>
          [
            ...users.map((u) => ({ key: sortKeyOf(u, sort), id: u.id })),
            ...users.map((u) => ({ key: sortKeyOf(u, sort), id: u.id.toUpperCase() })),
            { key: "2026-02", id: someId },
            { key: "2026-02-01T00:00:00.000Z", id: "00000000-0000-7000-8000-000000000000" },
            { key: "0000-01-01T00:00:00.000Z", id: someId },
            { key: "2026-13-01T00:00:00.000Z", id: someId },
            { key: "", id: someId },
            { key: "\u{10FFFF}", id: someId },
            { key: "\uFFFF", id: someId },
            { key: "\u0000", id: someId },
            ...users.slice(0, 3).map((u) => ({ key: `${sortKeyOf(u, sort)}\u0000x`, id: someId })),
          ].map((p) => ({ ...p, id: UserId.make(p.id) }))
        return fields.flatMap((sort) =>
          [false, true].flatMap((descending) => [
            aCappedQuery({ sort, descending }),
            aCappedQuery({ sort, descending, offset: 2, limit: 3 }),
            ...positions(sort).map((p) => aCappedQuery({ sort, descending, after: Option.some(p), limit: 4 })),
          ]),
        )
      }),
    )
  })
