import { SqlClient } from "@effect/sql"
import { type Opening, SessionOwners, traced } from "@userkit/domain"
import { Clock, Effect, Layer, Option, Schema } from "effect"
import { PoolQuery } from "./ConnectionPool.js"
import { encodeEvent } from "./PgAuditLog.js"
import { encodeSession, liveAt } from "./PgSessionStore.js"
import { rowDefect, sqlDefect } from "./SqlFailure.js"
import { decodeRows, USER_COLUMNS } from "./UserRow.js"

// The account's columns from the table aliased `u`, named as a plain SELECT of users names them.
const OWNER_COLUMNS = USER_COLUMNS.split(", ")
  .map((column) => `u.${column}`)
  .join(", ")

/** What the opening statement found. */
const Found = Schema.Array(Schema.Struct({ opened: Schema.Boolean, inactive: Schema.NullOr(Schema.Boolean) }))
const decodeFound = Schema.decodeUnknown(Found)

/**
 * `(a, b) SELECT $1, $2` of `row`: an INSERT's columns, and a SELECT of its values to which the
 * statement adds a FROM, so that it inserts only where that FROM has a row. Each value takes its
 * column's type, as in a VALUES list.
 */
const insertSelect = (sql: SqlClient.SqlClient, row: Readonly<Record<string, Date | string | null>>) =>
  sql`(${sql.literal(Object.keys(row).join(", "))}) SELECT ${sql.csv(Object.values(row).map((value) => sql`${value}`))}`

/**
 * Whose live session a token names, in one round trip: the session (by primary key, live at the
 * Clock's now, the same condition as every other session query) joined to its account. Every
 * authenticated request asks it: the statement is composed by sql-pg's compiler as any other, and
 * sent straight to the pool (`PoolQuery`), outside any transaction.
 */
export const make: Effect.Effect<SessionOwners["Type"], never, SqlClient.SqlClient | PoolQuery> = Effect.gen(
  function* () {
    const sql = yield* SqlClient.SqlClient
    const pool = yield* PoolQuery
    const columns = sql.literal(OWNER_COLUMNS)
    return SessionOwners.of({
      findLive: (sessionId, userId) =>
        Effect.flatMap(Clock.currentTimeMillis, (millis) => {
          const [text, values] = sql`SELECT ${columns} FROM userkit_sessions s JOIN users u ON u.id = s.user_id
          WHERE s.id = ${sessionId} AND s.user_id = ${userId} AND ${liveAt(sql, new Date(millis))}`.compile()
          return pool.rows(text, values)
        }).pipe(
          Effect.flatMap(decodeRows),
          Effect.map((rows) => Option.map(Option.fromNullable(rows[0]), (stored) => stored.user)),
          Effect.catchTag("ParseError", rowDefect("finding a session's owner")),
          Effect.catchTag("SqlError", sqlDefect("finding a session's owner")),
          traced("PgSessionOwners.findLive"),
        ),
      /**
       * One statement, so one round trip and atomic by itself. It locks the account's row FOR SHARE,
       * and only if the row still has the verified password and is active: a change to the account
       * (an UPDATE or a DELETE of that row) waits for this statement's end, and then finds the
       * session to end; one that came first is seen, if committed (in READ COMMITTED, the row is
       * read again after the wait: the condition fails on the new version), and nothing is opened.
       * The session, its first token and its event are inserted only from the locked row. Why
       * not is read FOR SHARE too: without it, that read would see the row as the statement's
       * snapshot had it, before a deactivation it waited for.
       */
      open: (session, firstToken, verified, opened) =>
        Effect.all([encodeSession(session), encodeEvent(opened)]).pipe(
          Effect.orDie,
          Effect.flatMap(
            ([row, event]) => sql`WITH owner AS (
                SELECT id FROM users WHERE id = ${session.userId} AND password_hash = ${verified} AND is_active
                FOR SHARE),
              opened AS (INSERT INTO userkit_sessions ${insertSelect(sql, row)} FROM owner RETURNING id, created_at),
              token AS (INSERT INTO userkit_refresh_tokens (token_hash, session_id, issued_at)
                SELECT ${firstToken}, id, created_at FROM opened),
              recorded AS (INSERT INTO userkit_audit_events ${insertSelect(sql, event)} FROM opened)
              SELECT EXISTS (SELECT 1 FROM opened) AS opened,
                (SELECT NOT is_active AND password_hash = ${verified} FROM users WHERE id = ${session.userId}
                  FOR SHARE) AS inactive`,
          ),
          Effect.flatMap(decodeFound),
          Effect.map(([found]): Opening => (found?.opened ? "opened" : found?.inactive ? "inactive" : "changed")),
          Effect.catchTag("ParseError", rowDefect("opening a session")),
          Effect.catchTag("SqlError", sqlDefect("opening a session")),
          traced("PgSessionOwners.open"),
        ),
    })
  },
)

export const layer: Layer.Layer<SessionOwners, never, SqlClient.SqlClient | PoolQuery> = Layer.effect(
  SessionOwners,
  make,
)
