import { SqlClient } from "@effect/sql"
import { hotSpan, SessionOwners } from "@userkit/domain"
import { Clock, Effect, Layer, Option } from "effect"
import { PoolQuery } from "./ConnectionPool.js"
import { liveAt } from "./PgSessionStore.js"
import { rowDefect, sqlDefect } from "./SqlFailure.js"
import { decodeRows, USER_COLUMNS } from "./UserRow.js"

// The account's columns from the table aliased `u`, named as a plain SELECT of users names them.
const OWNER_COLUMNS = USER_COLUMNS.split(", ")
  .map((column) => `u.${column}`)
  .join(", ")

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
    // Every authenticated request runs it: its span only where traces are kept (see hotSpan).
    const span = yield* hotSpan("PgSessionOwners.findLive")
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
          span,
        ),
    })
  },
)

export const layer: Layer.Layer<SessionOwners, never, SqlClient.SqlClient | PoolQuery> = Layer.effect(
  SessionOwners,
  make,
)
