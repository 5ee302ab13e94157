import type { SqlClient, Statement } from "@effect/sql"
import type { SearchField, SortField, SortPosition, UserQuery, UserSearchResult } from "@userkit/domain"
import { DateTime, Effect, Option, Schema } from "effect"
import { decodeRows, USER_COLUMNS } from "./UserRow.js"

// Every name below is a whitelisted constant; user input reaches SQL only as parameters.
const searchColumn: Record<SearchField, string> = {
  email: "email_lower",
  username: "username_lower",
  full_name: "full_name_lower",
}
// The sort key as its b-tree index has it: code point order (the *_lower copies are COLLATE "C").
const keyColumn: Record<SortField, string> = {
  created_at: "created_at",
  email: "email_lower",
  username: "username_lower",
  full_name: `(coalesce(full_name, '') COLLATE "C")`,
}
// The sort key as the exact text of `sortKeyOf`, for positions no stored user has (not indexed).
const keyText: Record<SortField, string> = {
  ...keyColumn,
  created_at: `(to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') COLLATE "C")`,
}

// A substring match; `\` is PostgreSQL's default LIKE escape.
const likePattern = (text: string) => `%${text.toLowerCase().replace(/[\\%_]/g, "\\$&")}%`

const NUL = "\u0000"
const LOWER_CASE_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/
const ISO_INSTANT = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/
/** A key `DateTime.formatIso` could have written, of a year PostgreSQL knows (it has no year 0). */
const isInstantKey = (key: string) =>
  ISO_INSTANT.test(key) &&
  !key.startsWith("0000") &&
  Option.exists(DateTime.make(key), (instant) => DateTime.formatIso(instant) === key)

const filters = (sql: SqlClient.SqlClient, query: UserQuery): Array<Statement.Fragment> => [
  ...Option.toArray(
    Option.map(query.search, (text) =>
      // PostgreSQL text cannot hold NUL, so no stored field contains a text that has one.
      query.searchIn.length === 0 || text.includes(NUL)
        ? sql.literal("FALSE")
        : sql.or(query.searchIn.map((field) => sql`${sql.literal(searchColumn[field])} LIKE ${likePattern(text)}`)),
    ),
  ),
  ...Option.toArray(Option.map(query.isActive, (active) => sql`is_active = ${active}`)),
  ...Option.toArray(Option.map(query.isSuperuser, (superuser) => sql`is_superuser = ${superuser}`)),
]

/**
 * Strictly after `position` in the order. A position taken from a stored user (a lower-case id,
 * for created_at an instant) compares on the indexed key, the timestamp itself for created_at:
 * stored instants are whole milliseconds, as exact as their ISO keys. Any other compares as text.
 */
const after = (sql: SqlClient.SqlClient, query: UserQuery, { key, id }: SortPosition): Statement.Fragment => {
  const beyond = sql.literal(query.descending ? "<" : ">")
  const asText = (textKey: string, textId: string) =>
    sql`(${sql.literal(keyText[query.sort])}, id::text COLLATE "C") ${beyond} (${textKey}, ${textId})`
  // No stored key holds a NUL (text cannot), so a key "p\0..." lies above every key <= p and below
  // every other: where p would with an id above every id ("g" follows the hex digits).
  const nul = key.indexOf(NUL)
  if (nul >= 0) return asText(key.slice(0, nul), "g")
  if (LOWER_CASE_UUID.test(id) && (query.sort !== "created_at" || isInstantKey(key))) {
    const bound = query.sort === "created_at" ? sql`${key}::timestamptz` : sql`${key}`
    return sql`(${sql.literal(keyColumn[query.sort])}, id) ${beyond} (${bound}, ${id}::uuid)`
  }
  return asText(key, id)
}

/** The two statements of a search: the page, and the count of every match up to one past the cap. */
export const searchStatements = (sql: SqlClient.SqlClient, query: UserQuery) => {
  const matching = filters(sql, query)
  const positioned = [...matching, ...Option.toArray(Option.map(query.after, (p) => after(sql, query, p)))]
  const direction = sql.literal(query.descending ? "DESC" : "ASC")
  return {
    page: sql`SELECT ${sql.literal(USER_COLUMNS)} FROM users WHERE ${sql.and(positioned)}
      ORDER BY ${sql.literal(keyColumn[query.sort])} ${direction}, id ${direction}
      LIMIT ${query.limit} OFFSET ${query.offset}`,
    // Stopping one past the cap: a broad search counts at most countUpTo rows, not the table.
    count: sql`SELECT count(*)::int AS n FROM (
      SELECT 1 FROM users WHERE ${sql.and(matching)} LIMIT ${query.countUpTo + 1}) AS matching`,
  }
}

const decodeCount = Schema.decodeUnknown(Schema.Tuple(Schema.Struct({ n: Schema.Number })))

/** A page of the users matching `query` and their count up to `countUpTo`, as `UserQuery` specifies. */
export const searchUsers = (sql: SqlClient.SqlClient, query: UserQuery) => {
  const { page, count } = searchStatements(sql, query)
  return Effect.all([Effect.flatMap(page, decodeRows), Effect.flatMap(count, decodeCount)], { concurrency: 2 }).pipe(
    Effect.map(
      ([rows, [{ n }]]): UserSearchResult => ({
        items: rows.map((row) => row.user),
        total: Math.min(n, query.countUpTo),
        totalIsExact: n <= query.countUpTo,
      }),
    ),
  )
}
