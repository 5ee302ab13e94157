import { Effect, Option, Schema } from "effect"
import type { User } from "./User.js"
import type { SearchField, SortPosition, UserQuery } from "./UserQuery.js"
import { sortKeyOf } from "./UserQuery.js"
import type { UserRepository } from "./UserRepository.js"

export const MAX_PAGE_SIZE = 100
/** Counting every match of a broad search is a scan of its own: `total` is exact up to this. */
export const COUNT_UP_TO = 1_000
/** Skipping rows is a scan of its own too: an offset reaches this deep, a position (`after`) any depth. */
export const MAX_OFFSET = 10_000

/**
 * What a listing asks for: a page of `size` users at `offset` past `after` (or the start), in one
 * order; the repository's query without what the listing decides (fields searched, the count).
 */
export interface ListingRequest
  extends Pick<UserQuery, "search" | "isActive" | "isSuperuser" | "sort" | "descending" | "after" | "offset"> {
  readonly size: number
}

/** A page of a listing; `next` is where the page after it starts, when there is one. */
export interface ListingPage<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
  readonly totalIsExact: boolean
  readonly next: Option.Option<SortPosition>
}

/** The offset reaches deeper than `MAX_OFFSET`: go on from a position instead. */
export class PageTooDeep extends Schema.TaggedError<PageTooDeep>()("PageTooDeep", {}) {
  override get message() {
    return `an offset reaches at most ${MAX_OFFSET} users deep: go on from the position of the page before`
  }
}

export interface ListingScope {
  readonly searchIn: ReadonlyArray<SearchField>
  /** Forced filter on `is_active`, whatever the request asks (ordinary users see active accounts only). */
  readonly onlyActive: boolean
}

/** The page a request asks for, from `users`; shared by the directory and administration. */
export const listUsers = (
  users: UserRepository["Type"],
  request: ListingRequest,
  scope: ListingScope,
): Effect.Effect<ListingPage<User>, PageTooDeep> =>
  Effect.gen(function* () {
    if (request.offset > MAX_OFFSET) return yield* new PageTooDeep()
    // One more than a page, to know whether there is a next one.
    const found = yield* users.search({
      search: request.search,
      searchIn: scope.searchIn,
      isActive: scope.onlyActive ? Option.some(true) : request.isActive,
      isSuperuser: request.isSuperuser,
      sort: request.sort,
      descending: request.descending,
      after: request.after,
      offset: request.offset,
      limit: request.size + 1,
      countUpTo: COUNT_UP_TO,
    })
    const items = found.items.slice(0, request.size)
    const last = Option.fromNullable(items.at(-1)).pipe(Option.filter(() => found.items.length > request.size))
    return {
      items,
      total: found.total,
      totalIsExact: found.totalIsExact,
      next: Option.map(last, (user): SortPosition => ({ key: sortKeyOf(user, request.sort), id: user.id })),
    } satisfies ListingPage<User>
  })
