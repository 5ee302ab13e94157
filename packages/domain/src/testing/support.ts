import { it } from "@effect/vitest"
import { Effect, type Layer, Option } from "effect"
import type { ListingRequest } from "../users/Listing.js"
import type { UserQuery } from "../users/UserQuery.js"
import { UserRepository } from "../users/UserRepository.js"

/** A test run against a layer built afresh for it, so it starts from an empty store. */
export const freshTest =
  (layer: Layer.Layer<UserRepository, unknown>) =>
  (title: string, body: Effect.Effect<void, unknown, UserRepository>) =>
    it.live(title, () => body.pipe(Effect.provide(layer)), 60_000)

/** A query for everyone, in creation order; override what a test is about. */
export const aQuery = (overrides: Partial<UserQuery> = {}): UserQuery => ({
  search: Option.none(),
  searchIn: ["email", "username", "full_name"],
  isActive: Option.none(),
  isSuperuser: Option.none(),
  sort: "created_at",
  descending: false,
  after: Option.none(),
  offset: 0,
  limit: 100,
  countUpTo: 10_000,
  ...overrides,
})

/** A listing request for the first 20 users by creation; override what a test is about. */
export const aListingRequest = (overrides: Partial<ListingRequest> = {}): ListingRequest => {
  const { searchIn: _searchIn, limit: _limit, countUpTo: _countUpTo, ...query } = aQuery()
  return { ...query, size: 20, ...overrides }
}

/** The ids the store answers a query with, in order. */
export const idsOf = (query: UserQuery) =>
  Effect.flatMap(UserRepository, (repo) => repo.search(query)).pipe(Effect.map((r) => r.items.map((u) => u.id)))

export const everyone = idsOf(aQuery())

export type ContractTest = ReturnType<typeof freshTest>
