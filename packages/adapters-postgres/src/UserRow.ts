import type { SqlClient, SqlError, Statement } from "@effect/sql"
import {
  EmailAlreadyRegistered,
  PasswordHash,
  type StoredUser,
  User,
  UsernameTaken,
  type UserUpdate,
} from "@userkit/domain"
import { DateTime, Effect, Option, Predicate, Schema } from "effect"
import { sqlDefect } from "./SqlFailure.js"
import { SEARCH_COPY_COLUMNS, type SearchCopyColumn, USER_FIELD_COLUMNS, type UserFieldColumn } from "./UsersTable.js"

// `email_verified` has no column: it is whether `email_verified_at` is set.
const { email_verified: _, ...storedFields } = User.fields

/** A user's columns as the driver returns them (timestamps as Date), decoded field by field. */
const ProfileRow = Schema.Struct({
  ...storedFields,
  email_verified_at: Schema.NullOr(Schema.DateTimeUtcFromDate),
  created_at: Schema.DateTimeUtcFromDate,
  updated_at: Schema.DateTimeUtcFromDate,
})
const UserRow = Schema.Struct({
  ...ProfileRow.fields,
  password_hash: PasswordHash,
} satisfies Record<UserFieldColumn, Schema.Schema.All>)

/** The one place rows become domain values and back. */
const StoredUserFromRow = Schema.transform(
  UserRow,
  Schema.typeSchema(Schema.Struct({ user: User, passwordHash: PasswordHash })),
  {
    strict: true,
    // The row schema has just checked every field with User's own schemas.
    decode: ({ password_hash, ...fields }) => ({
      user: new User({ ...fields, email_verified: fields.email_verified_at !== null }, true),
      passwordHash: password_hash,
    }),
    encode: ({ user: { email_verified: _, ...fields }, passwordHash }) => ({ ...fields, password_hash: passwordHash }),
  },
)

/** What a SELECT of a user reads: the row without the search copies, which only SQL needs. */
export const USER_COLUMNS = USER_FIELD_COLUMNS.join(", ")

export const decodeRows = Schema.decodeUnknown(Schema.Array(StoredUserFromRow))

/**
 * Lower-cased with JS `toLowerCase`, the function the domain's search rule names, so that search
 * agrees with it whatever the database's LC_CTYPE (migration 2 explains).
 */
const searchCopies = (user: User) =>
  ({
    [SEARCH_COPY_COLUMNS.email]: user.email.toLowerCase(),
    [SEARCH_COPY_COLUMNS.username]: user.username.toLowerCase(),
    [SEARCH_COPY_COLUMNS.full_name]: (user.full_name ?? "").toLowerCase(),
  }) satisfies Record<SearchCopyColumn, string>

/** Every column of a new row. */
export const insertRow = (stored: StoredUser) =>
  Effect.map(Schema.encode(StoredUserFromRow)(stored), (row) => ({ ...row, ...searchCopies(stored.user) }))

/**
 * The columns a change writes as plain values: those it names (with their search copies) and
 * `updated_at`, no other. `email_verified_at` depends on the row: see `verificationChange`.
 */
export const changesRow = ({
  updatedAt,
  email_verified: _,
  ...fields
}: UserUpdate): Record<string, string | boolean | Date | null> => ({
  ...fields,
  ...(fields.email === undefined ? {} : { [SEARCH_COPY_COLUMNS.email]: fields.email.toLowerCase() }),
  ...(fields.username === undefined ? {} : { [SEARCH_COPY_COLUMNS.username]: fields.username.toLowerCase() }),
  ...(fields.full_name === undefined
    ? {}
    : { [SEARCH_COPY_COLUMNS.full_name]: (fields.full_name ?? "").toLowerCase() }),
  updated_at: DateTime.toDate(updatedAt),
})

/**
 * How a change sets `email_verified_at`, if it does: as SQL in the UPDATE's SET, where `email` and
 * `email_verified_at` are the row's values before this write, and, when the UPDATE waited on
 * another writer's row lock, those of the version that writer left. So a change of address clears
 * the verification that the address it leaves held at that instant, whoever set it meanwhile.
 * - `email_verified: false` clears it; `true` keeps the time of an address verified that stays
 *   the same ignoring case, else stamps `updatedAt`;
 * - otherwise a new email, unless the same one in another case, clears it.
 */
export const verificationChange = (
  sql: SqlClient.SqlClient,
  { email, email_verified, updatedAt }: UserUpdate,
): Option.Option<Statement.Fragment> => {
  const at = DateTime.toDate(updatedAt)
  const sameAddress = email === undefined ? undefined : sql`lower(email) = lower(${email})`
  if (email_verified === false) return Option.some(sql`email_verified_at = NULL`)
  if (email_verified === true) {
    return Option.some(
      sameAddress === undefined
        ? sql`email_verified_at = COALESCE(email_verified_at, ${at}::timestamptz)`
        : sql`email_verified_at = CASE WHEN ${sameAddress} THEN COALESCE(email_verified_at, ${at}::timestamptz)
            ELSE ${at}::timestamptz END`,
    )
  }
  return sameAddress === undefined
    ? Option.none()
    : Option.some(sql`email_verified_at = CASE WHEN ${sameAddress} THEN email_verified_at ELSE NULL END`)
}

const conflictByIndex: Record<string, () => EmailAlreadyRegistered | UsernameTaken> = {
  users_email_lower_key: () => new EmailAlreadyRegistered(),
  users_username_lower_key: () => new UsernameTaken(),
}

/** A duplicate email or username (SQLSTATE 23505) is the domain's error; anything else a defect. */
export const toConflict =
  (what: string) =>
  (error: SqlError.SqlError): Effect.Effect<never, EmailAlreadyRegistered | UsernameTaken> => {
    const code = Predicate.hasProperty(error.cause, "code") ? error.cause.code : undefined
    const index = Predicate.hasProperty(error.cause, "constraint") ? error.cause.constraint : undefined
    const conflict = code === "23505" && typeof index === "string" ? conflictByIndex[index] : undefined
    return conflict === undefined ? sqlDefect(what)(error) : Effect.fail(conflict())
  }
