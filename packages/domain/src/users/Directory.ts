import { Effect, Option, Schema } from "effect"
import { UserNotFound } from "./errors.js"
import { PublicProfile, type User, type UserId } from "./User.js"
import type { SearchField, SortField, SortPosition } from "./UserQuery.js"
import { sortKeyOf } from "./UserQuery.js"
import { UserRepository } from "./UserRepository.js"

export const MAX_PAGE_SIZE = 100
/** Counting every match of a broad search is a scan of its own: `total` is exact up to this. */
export const COUNT_UP_TO = 1_000
/** Skipping rows is a scan of its own too: an offset reaches this deep, a position (`after`) any depth. */
export const MAX_OFFSET = 10_000

/** What a listing asks for: a page of `size` users at `offset` past `after` (or the start), in one order. */
export interface ListingRequest {
  readonly search: Option.Option<string>
  readonly isActive: Option.Option<boolean>
  readonly isSuperuser: Option.Option<boolean>
  readonly sort: SortField
  readonly descending: boolean
  readonly after: Option.Option<SortPosition>
  readonly offset: number
  readonly size: number
}

/** A page of a listing; `next` is where the page after it starts, when there is one. */
export interface ListingPage<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
  readonly totalIsExact: boolean
  readonly next: Option.Option<SortPosition>
}

/** The directory does not show this field, so no one may sort or filter by it there: the order would reveal it. */
export class HiddenField extends Schema.TaggedError<HiddenField>()("HiddenField", {
  field: Schema.Literal("email", "is_active", "is_superuser"),
  use: Schema.Literal("sort", "filter"),
}) {
  override get message() {
    return `the directory does not show ${this.field}, so it cannot ${this.use} by it`
  }
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

/** The page a request asks for, from the repository; shared by the directory and administration. */
export const listUsers = (request: ListingRequest, scope: ListingScope) =>
  Effect.gen(function* () {
    if (request.offset > MAX_OFFSET) return yield* new PageTooDeep()
    const users = yield* UserRepository
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

/** What the directory shows is all it sorts and filters by: no email, no account flags. */
const visibleOnly = (request: ListingRequest): Effect.Effect<void, HiddenField> => {
  if (request.sort === "email") return Effect.fail(new HiddenField({ field: "email", use: "sort" }))
  if (Option.isSome(request.isActive)) return Effect.fail(new HiddenField({ field: "is_active", use: "filter" }))
  if (Option.isSome(request.isSuperuser)) return Effect.fail(new HiddenField({ field: "is_superuser", use: "filter" }))
  return Effect.void
}

/** The directory any signed-in user may browse: active accounts, public profiles, no emails. */
export class Directory extends Effect.Service<Directory>()("userkit/Directory", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository

    const list = Effect.fn("Directory.list")(function* (
      request: ListingRequest,
    ): Effect.fn.Return<ListingPage<PublicProfile>, HiddenField | PageTooDeep> {
      yield* visibleOnly(request)
      const page = yield* listUsers(request, { searchIn: ["username", "full_name"], onlyActive: true }).pipe(
        Effect.provideService(UserRepository, users),
      )
      return { ...page, items: page.items.map(PublicProfile.fromUser) }
    })

    const get = Effect.fn("Directory.get")(function* (id: UserId): Effect.fn.Return<PublicProfile, UserNotFound> {
      const found = yield* users.findById(id)
      if (Option.isNone(found) || !found.value.user.is_active) return yield* new UserNotFound()
      return PublicProfile.fromUser(found.value.user)
    })

    return { list, get } as const
  }),
}) {}
