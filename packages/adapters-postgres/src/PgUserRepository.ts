import { SqlClient, type SqlError } from "@effect/sql"
import { traced, type User, type UserId, UserNotFound, UserRepository, type UserUpdate } from "@userkit/domain"
import { DateTime, Effect, Layer, Option } from "effect"
import { rowDefect, sqlDefect } from "./SqlFailure.js"
import { keepingAnActiveSuperuser, targetRow } from "./SuperuserGuard.js"
import { changesRow, decodeRows, insertRow, toConflict, USER_COLUMNS, verificationChange } from "./UserRow.js"
import { searchUsers } from "./UserSearch.js"

export const make: Effect.Effect<UserRepository["Type"], never, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const columns = sql.literal(USER_COLUMNS)
  const readRows = (what: string, rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    rows.pipe(Effect.flatMap(decodeRows), Effect.catchTag("ParseError", rowDefect(what)))
  const findOne = (what: string, rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    readRows(what, rows).pipe(
      Effect.map((found) => Option.fromNullable(found[0])),
      Effect.catchTag("SqlError", sqlDefect(what)),
    )
  const changedAny = (rows: ReadonlyArray<unknown>) => rows.length > 0
  const foundOrNotFound = Option.match({ onNone: () => new UserNotFound(), onSome: Effect.succeed<User> })

  /**
   * One UPDATE of the named columns only, and of the verification a change of address clears,
   * answering the user as it is after it (none: no such row).
   */
  const writeChanges = (id: UserId, changes: UserUpdate) => {
    const set = sql.csv([sql`${sql.update(changesRow(changes))}`, ...Option.toArray(verificationChange(sql, changes))])
    return (onlyWithoutStanding: boolean) =>
      readRows(
        "updating a user",
        sql`UPDATE users SET ${set} WHERE ${targetRow(sql, id, onlyWithoutStanding)} RETURNING ${columns}`,
      ).pipe(Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), (stored) => stored.user)))
  }
  /** A change that may end a standing is made under the last-superuser guard; any other, plainly. */
  const standingWrite = (id: UserId, changes: UserUpdate) =>
    changes.is_active === false || changes.is_superuser === false
      ? keepingAnActiveSuperuser(sql, id, writeChanges(id, changes))
      : Effect.flatMap(writeChanges(id, changes)(false), foundOrNotFound)
  const foundOrFail = (found: boolean) => (found ? Effect.void : Effect.fail(new UserNotFound()))

  // Reads and plain writes are one statement on whatever pooled connection is free. The writes
  // that could remove the last active superuser take a transaction (SuperuserGuard), and run it
  // all on that transaction's connection.
  return UserRepository.of({
    insert: (stored) =>
      insertRow(stored).pipe(
        Effect.catchTag("ParseError", rowDefect("inserting a user")),
        Effect.flatMap((row) => sql`INSERT INTO users ${sql.insert(row)}`),
        Effect.catchTag("SqlError", toConflict("inserting a user")),
        Effect.asVoid,
        traced("PgUserRepository.insert"),
      ),
    findById: (id) =>
      findOne("finding a user by id", sql`SELECT ${columns} FROM users WHERE id = ${id}`).pipe(
        traced("PgUserRepository.findById"),
      ),
    // The login comes lower-cased (normalizeLogin): it meets the lower(...) unique indexes as it is.
    findByLogin: (login) =>
      // No email or username holds a NUL (PostgreSQL text cannot), and sending one is an error.
      login.includes("\u0000")
        ? Effect.succeedNone
        : findOne(
            "finding a user by login",
            sql`SELECT ${columns} FROM users WHERE lower(email) = ${login} OR lower(username) = ${login} LIMIT 1`,
          ).pipe(traced("PgUserRepository.findByLogin")),
    search: (query) =>
      searchUsers(sql, query).pipe(
        Effect.catchTag("ParseError", rowDefect("searching users")),
        Effect.catchTag("SqlError", sqlDefect("searching users")),
        traced("PgUserRepository.search"),
      ),
    updateProfile: (id, changes) =>
      Effect.flatMap(writeChanges(id, changes)(false), foundOrNotFound).pipe(
        Effect.catchTag("SqlError", toConflict("updating a profile")),
        traced("PgUserRepository.updateProfile"),
      ),
    setStanding: (id, changes) =>
      standingWrite(id, changes).pipe(
        Effect.catchTag("SqlError", sqlDefect("setting a standing")),
        traced("PgUserRepository.setStanding"),
      ),
    update: (id, changes) =>
      standingWrite(id, changes).pipe(
        Effect.catchTag("SqlError", toConflict("updating a user")),
        traced("PgUserRepository.update"),
      ),
    setPasswordHash: (id, hash) =>
      sql`UPDATE users SET password_hash = ${hash} WHERE id = ${id} RETURNING id`.pipe(
        Effect.catchTag("SqlError", sqlDefect("setting a password hash")),
        Effect.flatMap((rows) => foundOrFail(changedAny(rows))),
        traced("PgUserRepository.setPasswordHash"),
      ),
    replacePasswordHash: (id, expected, next) =>
      sql`UPDATE users SET password_hash = ${next} WHERE id = ${id} AND password_hash = ${expected} RETURNING id`.pipe(
        Effect.map(changedAny),
        Effect.catchTag("SqlError", sqlDefect("replacing a password hash")),
        traced("PgUserRepository.replacePasswordHash"),
      ),
    // One statement: the WHERE is checked on the row as it is when locked, so an address the
    // account has left by then, even a moment before, is not verified.
    markEmailVerified: (id, email, at) =>
      sql`UPDATE users SET email_verified_at = COALESCE(email_verified_at, ${DateTime.toDate(at)}::timestamptz)
        WHERE id = ${id} AND lower(email) = lower(${email}) RETURNING id`.pipe(
        Effect.map(changedAny),
        Effect.catchTag("SqlError", sqlDefect("marking an email verified")),
        traced("PgUserRepository.markEmailVerified"),
      ),
    delete: (id) =>
      keepingAnActiveSuperuser(sql, id, (onlyWithoutStanding) =>
        sql`DELETE FROM users WHERE ${targetRow(sql, id, onlyWithoutStanding)} RETURNING id`.pipe(
          Effect.map((rows) => (changedAny(rows) ? Option.some(undefined) : Option.none())),
        ),
      ).pipe(Effect.catchTag("SqlError", sqlDefect("deleting a user")), traced("PgUserRepository.delete")),
  })
})

/** The UserRepository port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const layer: Layer.Layer<UserRepository, never, SqlClient.SqlClient> = Layer.effect(UserRepository, make)
