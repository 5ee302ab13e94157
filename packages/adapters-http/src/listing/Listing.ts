import {
  type ListingPage,
  type ListingRequest,
  MAX_OFFSET,
  MAX_PAGE_SIZE,
  type SortField,
  type SortPosition,
} from "@userkit/domain"
import { Effect, Option, Schema } from "effect"
import { asProblems, type DomainError, type ProblemFor } from "../problems/DomainProblems.js"
import type { UnprocessableContent } from "../problems/Problem.js"
import { type Listing, ListingCursors } from "./ListingCursors.js"

const DEFAULT_PAGE_SIZE = 20
// A cursor holds a sort key: a 200-character full name is up to 800 bytes of UTF-8, a third more in base64.
const MAX_CURSOR_LENGTH = 2048

const tooDeep = (what: string) =>
  `${what} reaches past ${MAX_OFFSET} rows: to go deeper, pass the previous page's next_cursor as after`

const whole = (name: string, min: number, max: number) =>
  Schema.NumberFromString.pipe(
    Schema.filter(
      (n) => (Number.isInteger(n) && n >= min && n <= max) || `${name} must be a whole number from ${min} to ${max}`,
    ),
  )

const paging = {
  page: Schema.optional(
    Schema.NumberFromString.pipe(
      Schema.filter((n) => (Number.isInteger(n) && n >= 1) || "page must be a whole number from 1"),
      Schema.filter((n) => n <= MAX_OFFSET + 1 || tooDeep("page × size")),
    ),
  ),
  size: Schema.optional(whole("size", 1, MAX_PAGE_SIZE)),
  skip: Schema.optional(
    Schema.NumberFromString.pipe(
      Schema.filter((n) => (Number.isInteger(n) && n >= 0) || "skip must be a whole number from 0"),
      Schema.filter((n) => n <= MAX_OFFSET || tooDeep("skip")),
    ),
  ),
  limit: Schema.optional(whole("limit", 1, MAX_PAGE_SIZE)),
  search: Schema.optional(
    Schema.Trim.pipe(Schema.maxLength(100, { message: () => "search must be at most 100 characters" })),
  ),
  order: Schema.optional(Schema.Literal("asc", "desc")),
  after: Schema.optional(
    Schema.String.pipe(
      Schema.maxLength(MAX_CURSOR_LENGTH, { message: () => `after must be at most ${MAX_CURSOR_LENGTH} characters` }),
    ),
  ),
}

/** What a listing's query may hold; each listing's schema offers a part of it. */
export interface ListingQuery {
  readonly page?: number | undefined
  readonly size?: number | undefined
  readonly skip?: number | undefined
  readonly limit?: number | undefined
  readonly search?: string | undefined
  readonly sort?: SortField | undefined
  readonly order?: "asc" | "desc" | undefined
  readonly after?: string | undefined
  readonly is_active?: boolean | undefined
  readonly is_superuser?: boolean | undefined
}

const sizeOf = (query: ListingQuery) => query.limit ?? query.size ?? DEFAULT_PAGE_SIZE
// `after` is a position: page and skip are ignored beside it.
const offsetOf = (query: ListingQuery) => query.skip ?? ((query.page ?? 1) - 1) * sizeOf(query)

/**
 * A listing's query parameters: `skip`/`limit` are the seed's names for an offset and a size.
 * Every wrong or unknown parameter is reported, by name.
 */
const listingQuery = <Fields extends Schema.Struct.Fields>(fields: Fields) =>
  Schema.Struct({ ...paging, ...fields }).pipe(
    Schema.filter((query: ListingQuery) =>
      query.skip === undefined && offsetOf(query) > MAX_OFFSET
        ? { path: ["page"], message: tooDeep("page × size") }
        : undefined,
    ),
    Schema.annotations({ parseOptions: { errors: "all", onExcessProperty: "error" } }),
  )

/** The directory's query: it sorts by what it shows and filters by nothing it hides. */
export const DirectoryQuery = listingQuery({
  sort: Schema.optional(Schema.Literal("created_at", "username", "full_name")),
})

/** Administration's query: every sort, and filters on the account flags. */
export const AdminQuery = listingQuery({
  sort: Schema.optional(Schema.Literal("created_at", "email", "username", "full_name")),
  is_active: Schema.optional(Schema.BooleanFromString),
  is_superuser: Schema.optional(Schema.BooleanFromString),
})

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

/** A listing over HTTP: the query as the domain's request, the use case's page as the envelope with a signed cursor. */
export const answerListing = <A, E extends DomainError>(
  listing: Listing,
  query: ListingQuery,
  list: (request: ListingRequest) => Effect.Effect<ListingPage<A>, E>,
): Effect.Effect<DirectoryPage<A>, UnprocessableContent | ProblemFor<E>, ListingCursors> =>
  Effect.gen(function* () {
    const cursors = yield* ListingCursors
    const scope = { listing, sort: query.sort ?? "created_at", descending: query.order === "desc" } as const
    const after: Option.Option<SortPosition> =
      query.after === undefined ? Option.none() : Option.some(yield* cursors.verify(scope, query.after))
    const size = sizeOf(query)
    const offset = Option.isSome(after) ? 0 : offsetOf(query)
    const found = yield* asProblems(
      list({
        search: Option.fromNullable(query.search).pipe(Option.filter((s) => s.length > 0)),
        isActive: Option.fromNullable(query.is_active),
        isSuperuser: Option.fromNullable(query.is_superuser),
        sort: scope.sort,
        descending: scope.descending,
        after,
        offset,
        size,
      }),
    )
    return {
      items: found.items,
      total: found.total,
      total_is_exact: found.totalIsExact,
      page: Option.isSome(after) ? null : Math.floor(offset / size) + 1,
      size,
      pages: Math.ceil(found.total / size),
      next_cursor: Option.isSome(found.next) ? yield* cursors.sign(scope, found.next.value) : null,
    } satisfies DirectoryPage<A>
  })
