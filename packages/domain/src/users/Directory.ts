import { Effect, Either, Encoding, Option, Schema } from "effect"
import { InvalidCursor, UserNotFound } from "./errors.js"
import { PublicProfile, type User, UserId } from "./User.js"
import type { SearchField, SortField, SortPosition, UserSearchResult } from "./UserQuery.js"
import { sortKeyOf } from "./UserQuery.js"
import { UserRepository } from "./UserRepository.js"

export const DEFAULT_PAGE_SIZE = 20
export const MAX_PAGE_SIZE = 100
/** Counting every match of a broad search is a scan of its own: `total` is exact up to this. */
export const COUNT_UP_TO = 1_000

const whole = (name: string, min: number, max: number) =>
  Schema.NumberFromString.pipe(
    Schema.filter(
      (n) => (Number.isInteger(n) && n >= min && n <= max) || `${name} must be a whole number from ${min} to ${max}`,
    ),
  )

const SortFieldSchema = Schema.Literal("created_at", "email", "username", "full_name")

/** A directory request as query parameters; `skip`/`limit` are the seed's names for an offset and a size. */
export const DirectoryParams = Schema.Struct({
  page: Schema.optional(whole("page", 1, 1_000_000)),
  size: Schema.optional(whole("size", 1, MAX_PAGE_SIZE)),
  skip: Schema.optional(whole("skip", 0, 100_000_000)),
  limit: Schema.optional(whole("limit", 1, MAX_PAGE_SIZE)),
  search: Schema.optional(
    Schema.Trim.pipe(Schema.maxLength(100, { message: () => "search must be at most 100 characters" })),
  ),
  is_active: Schema.optional(Schema.BooleanFromString),
  is_superuser: Schema.optional(Schema.BooleanFromString),
  sort: Schema.optional(SortFieldSchema),
  order: Schema.optional(Schema.Literal("asc", "desc")),
  after: Schema.optional(
    Schema.String.pipe(Schema.maxLength(512, { message: () => "after must be at most 512 characters" })),
  ),
}).annotations({ identifier: "DirectoryParams" })
export type DirectoryParams = typeof DirectoryParams.Type

/** One page of a listing: the seed's envelope, plus whether `total` is exact and a keyset cursor. */
export const DirectoryPage = <A, I, R>(item: Schema.Schema<A, I, R>) =>
  Schema.Struct({
    items: Schema.Array(item),
    total: Schema.Int,
    total_is_exact: Schema.Boolean,
    page: Schema.NullOr(Schema.Int),
    size: Schema.Int,
    pages: Schema.Int,
    next_cursor: Schema.NullOr(Schema.String),
  })
export interface DirectoryPage<A> {
  readonly items: ReadonlyArray<A>
  readonly total: number
  readonly total_is_exact: boolean
  readonly page: number | null
  readonly size: number
  readonly pages: number
  readonly next_cursor: string | null
}

// A cursor names its order too, so one made for another sort is refused rather than misread.
const CursorJson = Schema.parseJson(Schema.Tuple(SortFieldSchema, Schema.Boolean, Schema.String, UserId))
const encodeCursor = (sort: SortField, descending: boolean, position: SortPosition): string =>
  Encoding.encodeBase64Url(Schema.encodeSync(CursorJson)([sort, descending, position.key, position.id]))

const decodeCursor = (cursor: string, sort: SortField, descending: boolean) =>
  Encoding.decodeBase64UrlString(cursor).pipe(
    Either.flatMap((json) => Schema.decodeEither(CursorJson)(json)),
    Either.filterOrLeft(
      ([s, d]) => s === sort && d === descending,
      () => "another order",
    ),
    Either.map(([, , key, id]): SortPosition => ({ key, id })),
    Either.mapLeft(() => new InvalidCursor()),
  )

export interface ListingScope {
  readonly searchIn: ReadonlyArray<SearchField>
  /** Forced filter on `is_active`, whatever the request asks (ordinary users see active accounts only). */
  readonly onlyActive: boolean
}

/** The page a request asks for, from the repository; shared by the directory and administration. */
export const listUsers = (params: DirectoryParams, scope: ListingScope) =>
  Effect.gen(function* () {
    const users = yield* UserRepository
    const size = params.limit ?? params.size ?? DEFAULT_PAGE_SIZE
    const sort = params.sort ?? "created_at"
    const descending = params.order === "desc"
    const after =
      params.after === undefined ? Option.none() : Option.some(yield* decodeCursor(params.after, sort, descending))
    const offset = Option.isSome(after) ? 0 : (params.skip ?? ((params.page ?? 1) - 1) * size)
    // One more than a page, to know whether there is a next one.
    const found: UserSearchResult = yield* users.search({
      search: Option.fromNullable(params.search).pipe(Option.filter((s) => s.length > 0)),
      searchIn: scope.searchIn,
      isActive: scope.onlyActive ? Option.some(true) : Option.fromNullable(params.is_active),
      isSuperuser: Option.fromNullable(params.is_superuser),
      sort,
      descending,
      after,
      offset,
      limit: size + 1,
      countUpTo: COUNT_UP_TO,
    })
    const items = found.items.slice(0, size)
    const last = items.at(-1)
    return {
      items,
      total: found.total,
      total_is_exact: found.totalIsExact,
      page: Option.isSome(after) ? null : Math.floor(offset / size) + 1,
      size,
      pages: Math.ceil(found.total / size),
      next_cursor:
        found.items.length > size && last !== undefined
          ? encodeCursor(sort, descending, { key: sortKeyOf(last, sort), id: last.id })
          : null,
    } satisfies DirectoryPage<User>
  })

/** The directory any signed-in user may browse: active accounts, public profiles, no emails. */
export class Directory extends Effect.Service<Directory>()("userkit/Directory", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository

    const list = Effect.fn("Directory.list")(function* (
      _viewer: User,
      params: DirectoryParams,
    ): Effect.fn.Return<DirectoryPage<PublicProfile>, InvalidCursor> {
      const page = yield* listUsers(params, { searchIn: ["username", "full_name"], onlyActive: true }).pipe(
        Effect.provideService(UserRepository, users),
      )
      return { ...page, items: page.items.map(PublicProfile.fromUser) }
    })

    const get = Effect.fn("Directory.get")(function* (
      _viewer: User,
      id: UserId,
    ): Effect.fn.Return<PublicProfile, UserNotFound> {
      const found = yield* users.findById(id)
      if (Option.isNone(found) || !found.value.user.is_active) return yield* new UserNotFound()
      return PublicProfile.fromUser(found.value.user)
    })

    return { list, get } as const
  }),
}) {}
