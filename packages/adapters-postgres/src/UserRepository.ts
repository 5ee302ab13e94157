import { SqlClient } from "@effect/sql"
import { UserNotFound, UserRepository } from "@userkit/domain"
import { Effect, Layer, Option } from "effect"
import { keepingAnActiveSuperuser, targetRow } from "./SuperuserGuard.js"
import { decodeRows, insertRow, toConflict, USER_COLUMNS, updateRow } from "./UserRow.js"
import { searchUsers } from "./UserSearch.js"

const make = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const columns = sql.literal(USER_COLUMNS)
  const findOne = <E, R>(rows: Effect.Effect<ReadonlyArray<unknown>, E, R>) =>
    rows.pipe(
      Effect.flatMap(decodeRows),
      Effect.map((found) => Option.fromNullable(found[0])),
      Effect.orDie,
    )
  const changedAny = (rows: ReadonlyArray<unknown>) => rows.length > 0
  const foundOrFail = (found: boolean) => (found ? Effect.void : Effect.fail(new UserNotFound()))

  // Reads and plain writes are one statement on whatever pooled connection is free. The writes
  // that could remove the last active superuser take a transaction (SuperuserGuard), and run it
  // all on that transaction's connection: waiting there on another connection would deadlock PGlite.
  return UserRepository.of({
    insert: (stored) =>
      insertRow(stored).pipe(
        Effect.orDie,
        Effect.flatMap((row) => sql`INSERT INTO users ${sql.insert(row)}`),
        Effect.catchTag("SqlError", toConflict),
        Effect.asVoid,
        Effect.withSpan("PgUserRepository.insert"),
      ),
    findById: (id) =>
      findOne(sql`SELECT ${columns} FROM users WHERE id = ${id}`).pipe(Effect.withSpan("PgUserRepository.findById")),
    findByLogin: (login) => {
      const key = login.trim()
      // No email or username holds a NUL (PostgreSQL text cannot), and sending one is an error.
      if (key.includes("\u0000")) return Effect.succeedNone
      return findOne(
        sql`SELECT ${columns} FROM users WHERE lower(email) = lower(${key}) OR lower(username) = lower(${key}) LIMIT 1`,
      ).pipe(Effect.withSpan("PgUserRepository.findByLogin"))
    },
    search: (query) => searchUsers(sql, query).pipe(Effect.orDie, Effect.withSpan("PgUserRepository.search")),
    update: (user) =>
      updateRow(user).pipe(
        Effect.orDie,
        Effect.flatMap((row) => {
          const write = (onlyWithoutStanding: boolean) =>
            sql`UPDATE users SET ${sql.update(row)} WHERE ${targetRow(sql, user.id, onlyWithoutStanding)} RETURNING id`.pipe(
              Effect.map(changedAny),
            )
          // Still an active superuser afterwards: the write cannot lose the last one.
          return user.is_superuser && user.is_active
            ? Effect.flatMap(write(false), foundOrFail)
            : keepingAnActiveSuperuser(sql, user.id, write)
        }),
        Effect.catchTag("SqlError", toConflict),
        Effect.withSpan("PgUserRepository.update"),
      ),
    setPasswordHash: (id, hash) =>
      sql`UPDATE users SET password_hash = ${hash} WHERE id = ${id} RETURNING id`.pipe(
        Effect.orDie,
        Effect.flatMap((rows) => foundOrFail(changedAny(rows))),
        Effect.withSpan("PgUserRepository.setPasswordHash"),
      ),
    delete: (id) =>
      keepingAnActiveSuperuser(sql, id, (onlyWithoutStanding) =>
        sql`DELETE FROM users WHERE ${targetRow(sql, id, onlyWithoutStanding)} RETURNING id`.pipe(
          Effect.map(changedAny),
        ),
      ).pipe(Effect.catchTag("SqlError", Effect.die), Effect.withSpan("PgUserRepository.delete")),
  })
})

/** The UserRepository port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const PgUserRepository: {
  readonly make: Effect.Effect<UserRepository["Type"], never, SqlClient.SqlClient>
  readonly layer: Layer.Layer<UserRepository, never, SqlClient.SqlClient>
} = { make, layer: Layer.effect(UserRepository, make) }
