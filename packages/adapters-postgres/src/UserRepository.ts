import { SqlClient, type SqlError } from "@effect/sql"
import { EmailAlreadyRegistered, PasswordHash, User, UsernameTaken, UserRepository } from "@userkit/domain"
import { Effect, Layer, Option, Schema } from "effect"

/** A row of `users` as the driver returns it (timestamps as Date), decoded field by field. */
const UserRow = Schema.Struct({
  ...User.fields,
  created_at: Schema.DateTimeUtcFromDate,
  updated_at: Schema.DateTimeUtcFromDate,
  password_hash: PasswordHash,
})

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
const decodeRows = Schema.decodeUnknown(Schema.Array(StoredUserFromRow))
const encodeRow = Schema.encode(StoredUserFromRow)

/** What pg's DatabaseError carries; not its `detail`, which can quote the row, hash and all. */
const DatabaseError = Schema.Struct({
  code: Schema.String,
  message: Schema.String,
  constraint: Schema.optional(Schema.String),
})
const conflictByIndex: Record<string, () => EmailAlreadyRegistered | UsernameTaken> = {
  users_email_lower_key: () => new EmailAlreadyRegistered(),
  users_username_lower_key: () => new UsernameTaken(),
}

/** A duplicate email or username (SQLSTATE 23505) is the domain's error; anything else a defect. */
const toConflict = (error: SqlError.SqlError): Effect.Effect<never, EmailAlreadyRegistered | UsernameTaken> =>
  Option.match(Schema.decodeUnknownOption(DatabaseError)(error.cause), {
    onNone: () => Effect.die(error),
    onSome: ({ code, constraint, message }) => {
      const conflict = code === "23505" && constraint !== undefined ? conflictByIndex[constraint] : undefined
      return conflict === undefined
        ? Effect.die(new Error(`inserting a user failed: ${message} (SQLSTATE ${code})`))
        : Effect.fail(conflict())
    },
  })

const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const findOne = <E, R>(rows: Effect.Effect<ReadonlyArray<unknown>, E, R>) =>
    rows.pipe(
      Effect.flatMap(decodeRows),
      Effect.map((found) => Option.fromNullable(found[0])),
      Effect.orDie,
    )

  // Every method is one statement on whatever pooled connection is free: nothing here holds a
  // transaction while waiting on another connection (which would deadlock on PGlite).
  return UserRepository.of({
    insert: (stored) =>
      encodeRow(stored).pipe(
        Effect.orDie,
        Effect.flatMap((row) => sql`INSERT INTO users ${sql.insert(row)}`),
        Effect.catchTag("SqlError", toConflict),
        Effect.asVoid,
        Effect.withSpan("PgUserRepository.insert"),
      ),
    findById: (id) =>
      findOne(sql`SELECT * FROM users WHERE id = ${id}`).pipe(Effect.withSpan("PgUserRepository.findById")),
    findByLogin: (login) => {
      const key = login.trim()
      return findOne(
        sql`SELECT * FROM users WHERE lower(email) = lower(${key}) OR lower(username) = lower(${key}) LIMIT 1`,
      ).pipe(Effect.withSpan("PgUserRepository.findByLogin"))
    },
    list: ({ offset, limit }) =>
      sql`SELECT * FROM users ORDER BY created_at, id LIMIT ${limit} OFFSET ${offset}`.pipe(
        Effect.flatMap(decodeRows),
        Effect.map((rows) => rows.map((r) => r.user)),
        Effect.orDie,
        Effect.withSpan("PgUserRepository.list"),
      ),
  })
})

/** The UserRepository port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const PgUserRepository: {
  readonly make: Effect.Effect<UserRepository["Type"], never, SqlClient.SqlClient>
  readonly layer: Layer.Layer<UserRepository, never, SqlClient.SqlClient>
} = { make, layer: Layer.effect(UserRepository, make) }
