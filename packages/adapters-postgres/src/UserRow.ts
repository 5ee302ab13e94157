import type { SqlError } from "@effect/sql"
import {
  EmailAlreadyRegistered,
  PasswordHash,
  type StoredUser,
  User,
  type UserChanges,
  UsernameTaken,
} from "@userkit/domain"
import { DateTime, Effect, Predicate, Schema } from "effect"
import { sqlDefect } from "./SqlFailure.js"

/** A user's columns as the driver returns them (timestamps as Date), decoded field by field. */
const ProfileRow = Schema.Struct({
  ...User.fields,
  created_at: Schema.DateTimeUtcFromDate,
  updated_at: Schema.DateTimeUtcFromDate,
})
const UserRow = Schema.Struct({ ...ProfileRow.fields, password_hash: PasswordHash })

/** The one place rows become domain values and back. */
const StoredUserFromRow = Schema.transform(
  UserRow,
  Schema.typeSchema(Schema.Struct({ user: User, passwordHash: PasswordHash })),
  {
    strict: true,
    // The row schema has just checked every field with User's own schemas.
    decode: ({ password_hash, ...fields }) => ({ user: new User(fields, true), passwordHash: password_hash }),
    encode: ({ user, passwordHash }) => ({ ...user, password_hash: passwordHash }),
  },
)

/** What a SELECT of a user reads: the row without the search copies, which only SQL needs. */
export const USER_COLUMNS =
  "id, email, username, full_name, bio, avatar_url, is_active, is_superuser, password_hash, created_at, updated_at"

export const decodeRows = Schema.decodeUnknown(Schema.Array(StoredUserFromRow))

/**
 * Lower-cased with JS `toLowerCase`, the function the domain's search rule names, so that search
 * agrees with it whatever the database's LC_CTYPE (migration 2 explains).
 */
const searchCopies = (user: User) => ({
  email_lower: user.email.toLowerCase(),
  username_lower: user.username.toLowerCase(),
  full_name_lower: (user.full_name ?? "").toLowerCase(),
})

/** Every column of a new row. */
export const insertRow = (stored: StoredUser) =>
  Effect.map(Schema.encode(StoredUserFromRow)(stored), (row) => ({ ...row, ...searchCopies(stored.user) }))

/** The columns a change writes: those it names (with their search copies) and `updated_at`, no other. */
export const changesRow = ({ updatedAt, ...fields }: UserChanges): Record<string, string | boolean | Date | null> => ({
  ...fields,
  ...(fields.email === undefined ? {} : { email_lower: fields.email.toLowerCase() }),
  ...(fields.username === undefined ? {} : { username_lower: fields.username.toLowerCase() }),
  ...(fields.full_name === undefined ? {} : { full_name_lower: (fields.full_name ?? "").toLowerCase() }),
  updated_at: DateTime.toDate(updatedAt),
})

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
