import { DateTime, type Option } from "effect"
import type { User, UserId } from "./User.js"

export type SortField = "created_at" | "email" | "username" | "full_name"
export type SearchField = "email" | "username" | "full_name"

/** A place in a sort order: the sort key of a user and its id (the tiebreak). */
export interface SortPosition {
  readonly key: string
  readonly id: UserId
}

/**
 * What a UserRepository search asks for. Every adapter answers it with the same semantics, which
 * the functions below state and the contract suite checks:
 * - `search`: a case-insensitive substring (JS `toLowerCase` on both sides; `%` and `_` are plain
 *   characters) of any field in `searchIn`.
 * - filters on `is_active` and `is_superuser` when given.
 * - order: by `sortKeyOf(user, sort)` compared code point by code point, then by id; both reversed
 *   when `descending`.
 * - `after`: only users strictly after that position in this order (keyset paging); then `offset`
 *   and `limit`.
 * - `total`: how many users match (ignoring `after`, `offset`, `limit`), counted up to `countUpTo`;
 *   beyond it `total` is `countUpTo` and `totalIsExact` false.
 */
export interface UserQuery {
  readonly search: Option.Option<string>
  readonly searchIn: ReadonlyArray<SearchField>
  readonly isActive: Option.Option<boolean>
  readonly isSuperuser: Option.Option<boolean>
  readonly sort: SortField
  readonly descending: boolean
  readonly after: Option.Option<SortPosition>
  readonly offset: number
  readonly limit: number
  readonly countUpTo: number
}

export interface UserSearchResult {
  readonly items: ReadonlyArray<User>
  readonly total: number
  readonly totalIsExact: boolean
}

/**
 * The key a user sorts by: the ISO instant of `created_at` (fixed width, so text order is time
 * order), lower-cased email or username, or the full name as written ("" when there is none).
 */
export const sortKeyOf = (user: User, field: SortField): string => {
  switch (field) {
    case "created_at":
      return DateTime.formatIso(user.created_at)
    case "email":
      return user.email.toLowerCase()
    case "username":
      return user.username.toLowerCase()
    case "full_name":
      return user.full_name ?? ""
  }
}

/** Code point order, as SQL's `COLLATE "C"` on UTF-8 (UTF-16 `<` differs above U+FFFF). */
export const compareCodePoints = (a: string, b: string): number => {
  const left = a[Symbol.iterator]()
  const right = b[Symbol.iterator]()
  for (;;) {
    const l = left.next()
    const r = right.next()
    if (l.done === true || r.done === true) return l.done === true ? (r.done === true ? 0 : -1) : 1
    const difference = (l.value.codePointAt(0) ?? 0) - (r.value.codePointAt(0) ?? 0)
    if (difference !== 0) return difference
  }
}

/** Where a user stands against a position in the order of `sort` (negative: before it). */
export const comparePosition = (user: User, position: SortPosition, sort: SortField): number => {
  const byKey = compareCodePoints(sortKeyOf(user, sort), position.key)
  return byKey !== 0 ? byKey : compareCodePoints(user.id, position.id)
}

export const searchMatches = (user: User, needle: string, fields: ReadonlyArray<SearchField>): boolean => {
  const lowered = needle.toLowerCase()
  return fields.some((field) => (user[field] ?? "").toLowerCase().includes(lowered))
}
