import type { SearchField } from "@userkit/domain"

/**
 * The columns of the `users` table as the latest migration leaves it: what this package's row mapping
 * (UserRow.ts) reads and writes, and what a tool that fills the table in bulk (the benchmarks' seed)
 * must write. A migration that adds, drops or renames a column changes this file too; a test compares
 * it with the migrated table, and the type checker then points at every writer to update.
 */

/** The columns of a user's own fields that migration 1 created: the domain's `User` and the password hash. */
const FIRST_FIELD_COLUMNS = [
  "id",
  "email",
  "username",
  "full_name",
  "bio",
  "avatar_url",
  "is_active",
  "is_superuser",
  "password_hash",
  "created_at",
  "updated_at",
] as const
/** The columns of fields added later, in the order their migrations added them (after the search copies). */
const ADDED_FIELD_COLUMNS = [
  // Migration 6; `User.email_verified` is whether it is set.
  "email_verified_at",
] as const

/** A user's own fields, one column each. */
export const USER_FIELD_COLUMNS = [...FIRST_FIELD_COLUMNS, ...ADDED_FIELD_COLUMNS] as const
export type UserFieldColumn = (typeof USER_FIELD_COLUMNS)[number]

/**
 * The lower-cased copy of each searchable field, which search and sort read (COLLATE "C"). Every
 * write of the field writes its copy: JS `toLowerCase` of it, a null full name as "" (migration 2
 * explains why not SQL lower()).
 */
export const SEARCH_COPY_COLUMNS = {
  email: "email_lower",
  username: "username_lower",
  full_name: "full_name_lower",
} as const satisfies Record<SearchField, string>
export type SearchCopyColumn = (typeof SEARCH_COPY_COLUMNS)[SearchField]

/** Every column of a row, in table order. */
export const USERS_TABLE_COLUMNS: ReadonlyArray<UserFieldColumn | SearchCopyColumn> = [
  ...FIRST_FIELD_COLUMNS,
  ...Object.values(SEARCH_COPY_COLUMNS),
  ...ADDED_FIELD_COLUMNS,
]
