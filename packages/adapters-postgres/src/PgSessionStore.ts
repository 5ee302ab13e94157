import { SqlClient, type SqlError } from "@effect/sql"
import {
  RefreshTokenHash,
  Rotation,
  type RotationRules,
  Session,
  SessionId,
  SessionStore,
  traced,
  UserId,
} from "@userkit/domain"
import { Clock, DateTime, Duration, Effect, Layer, Option, Schema } from "effect"
import { rowDefect, sqlDefect } from "./SqlFailure.js"

/** A session's columns as the driver returns them (timestamps as Date). */
const SessionRow = Schema.Struct({
  id: SessionId,
  user_id: UserId,
  created_at: Schema.DateTimeUtcFromDate,
  last_used_at: Schema.DateTimeUtcFromDate,
  idle_expires_at: Schema.DateTimeUtcFromDate,
  absolute_expires_at: Schema.DateTimeUtcFromDate,
  user_agent: Schema.NullOr(Schema.String),
  address: Schema.String,
})

/** The one place rows become sessions and back. */
const SessionFromRow = Schema.transform(SessionRow, Schema.typeSchema(Session), {
  strict: true,
  // The row schema has just checked every field with Session's own schemas.
  decode: (row) =>
    new Session(
      {
        id: row.id,
        userId: row.user_id,
        createdAt: row.created_at,
        lastUsedAt: row.last_used_at,
        idleExpiresAt: row.idle_expires_at,
        absoluteExpiresAt: row.absolute_expires_at,
        userAgent: row.user_agent,
        address: row.address,
      },
      true,
    ),
  encode: (session) => ({
    id: session.id,
    user_id: session.userId,
    created_at: session.createdAt,
    last_used_at: session.lastUsedAt,
    idle_expires_at: session.idleExpiresAt,
    absolute_expires_at: session.absoluteExpiresAt,
    user_agent: session.userAgent,
    address: session.address,
  }),
})

const decodeSessions = Schema.decodeUnknown(Schema.Array(SessionFromRow))
/** A session as its row (timestamps as Date). */
export const encodeSession = Schema.encode(SessionFromRow)

/** What a SELECT of a session reads, from the table aliased `s` (a join with `users` keeps it). */
export const SESSION_COLUMNS = Object.keys(SessionRow.fields)
  .map((column) => `s.${column}`)
  .join(", ")

/** The WHERE that keeps the sessions `s` live at `now`: the same in every query, findLive's join to come included. */
export const liveAt = (sql: SqlClient.SqlClient, now: Date) =>
  sql`s.revoked_at IS NULL AND s.idle_expires_at > ${now} AND s.absolute_expires_at > ${now}`

/** The WHERE of the sessions `s` that ended (revoked or expired) by `cutoff`: the expression migration 3 indexes. */
export const endedBy = (sql: SqlClient.SqlClient, cutoff: Date) =>
  sql`LEAST(s.revoked_at, s.idle_expires_at, s.absolute_expires_at) <= ${cutoff}`

/** A retired token: when, and its successor. */
const RetiredRow = Schema.Struct({ retired_at: Schema.DateFromSelf, successor_hash: RefreshTokenHash })
const decodeRetired = Schema.decodeUnknown(Schema.Array(RetiredRow))

export const make: Effect.Effect<SessionStore["Type"], never, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const columns = sql.literal(SESSION_COLUMNS)
  const now = Effect.map(Clock.currentTimeMillis, (millis) => new Date(millis))
  const sessions = (rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    rows.pipe(
      Effect.flatMap(decodeSessions),
      Effect.catchTag("ParseError", rowDefect("reading sessions", "userkit_sessions")),
    )
  const count = (rows: ReadonlyArray<unknown>) => rows.length

  /**
   * Rotation, as one transaction (READ COMMITTED, PostgreSQL's default):
   * - It first locks the presented token's session, if live. Every write to a session or its
   *   tokens (rotate, revoke, purge, a user's deletion) takes that row lock first, so the
   *   decisions on one session run one at a time; a rotation that waited sees the row as the
   *   previous one committed it (a revoked session no longer matches: Unknown).
   * - Then it retires the token only if still current (a conditional UPDATE): exactly one
   *   transaction ever records a successor. Each statement reads what committed before it, so a
   *   token retired while we waited for the lock is seen retired, and its recorded successor read.
   * Deciding on the token read in the locking statement instead would be wrong: a join re-checked
   * after the wait keeps the token row of its old snapshot, still current (PostgreSQL's race test
   * catches it). Locks go session first, then its tokens, everywhere (a purge's or a user
   * deletion's cascade too), so no two transactions wait on each other in opposite orders. On the
   * embedded engine (one connection), transactions simply run one after another.
   */
  const rotateLocked = (presented: RefreshTokenHash, successor: RefreshTokenHash, rules: RotationRules, at: Date) =>
    Effect.gen(function* () {
      const [session] = yield* sessions(sql`SELECT ${columns} FROM userkit_sessions s
        WHERE s.id = (SELECT session_id FROM userkit_refresh_tokens WHERE token_hash = ${presented})
          AND ${liveAt(sql, at)}
        FOR UPDATE`)
      if (session === undefined) return Rotation.Unknown()
      const retired = yield* sql`UPDATE userkit_refresh_tokens SET retired_at = ${at}, successor_hash = ${successor}
        WHERE token_hash = ${presented} AND retired_at IS NULL RETURNING token_hash`
      if (retired.length === 1) {
        yield* sql`INSERT INTO userkit_refresh_tokens (token_hash, session_id, issued_at)
          VALUES (${successor}, ${session.id}, ${at})`
        const idleExpiresAt = new Date(at.getTime() + Duration.toMillis(rules.idleTimeout))
        const [used] =
          yield* sessions(sql`UPDATE userkit_sessions s SET last_used_at = ${at}, idle_expires_at = ${idleExpiresAt}
          WHERE s.id = ${session.id} RETURNING ${columns}`)
        if (used === undefined) return yield* Effect.dieMessage("a locked session was not updated")
        return Rotation.Rotated({ session: used })
      }
      const [earlier] = yield* sql`SELECT retired_at, successor_hash FROM userkit_refresh_tokens
        WHERE token_hash = ${presented}`.pipe(
        Effect.flatMap(decodeRetired),
        Effect.catchTag("ParseError", rowDefect("rotating a refresh token", "userkit_refresh_tokens")),
      )
      if (earlier === undefined) return yield* Effect.dieMessage("the token of a locked session vanished")
      if (at.getTime() - earlier.retired_at.getTime() < Duration.toMillis(rules.graceWindow)) {
        return Rotation.Replayed({
          session,
          successor: earlier.successor_hash,
          retiredAt: DateTime.unsafeFromDate(earlier.retired_at),
        })
      }
      yield* sql`UPDATE userkit_sessions SET revoked_at = ${at} WHERE id = ${session.id}`
      return Rotation.Reused({ session })
    })

  return SessionStore.of({
    open: (session, firstToken) =>
      encodeSession(session).pipe(
        Effect.orDie,
        // One statement, so atomic by itself: no transaction of its own (nor a savepoint inside the
        // caller's), one round trip where there were four. The token's foreign key is checked at the
        // statement's end, when the session's row is there.
        Effect.flatMap(
          (row) => sql`WITH opened AS (INSERT INTO userkit_sessions ${sql.insert(row)} RETURNING id, created_at)
            INSERT INTO userkit_refresh_tokens (token_hash, session_id, issued_at)
            SELECT ${firstToken}, id, created_at FROM opened`,
        ),
        Effect.asVoid,
        Effect.catchTag("SqlError", sqlDefect("opening a session")),
        traced("PgSessionStore.open"),
      ),
    rotate: (presented, successor, rules) =>
      Effect.flatMap(now, (at) => sql.withTransaction(rotateLocked(presented, successor, rules, at))).pipe(
        Effect.catchTag("SqlError", sqlDefect("rotating a refresh token")),
        traced("PgSessionStore.rotate"),
      ),
    findLive: (id) =>
      Effect.flatMap(now, (at) =>
        sessions(sql`SELECT ${columns} FROM userkit_sessions s WHERE s.id = ${id} AND ${liveAt(sql, at)}`),
      ).pipe(
        Effect.map((found) => Option.fromNullable(found[0])),
        Effect.catchTag("SqlError", sqlDefect("finding a session")),
        traced("PgSessionStore.findLive"),
      ),
    listLive: (userId) =>
      Effect.flatMap(now, (at) =>
        sessions(sql`SELECT ${columns} FROM userkit_sessions s WHERE s.user_id = ${userId} AND ${liveAt(sql, at)}
          ORDER BY s.last_used_at DESC, s.id`),
      ).pipe(Effect.catchTag("SqlError", sqlDefect("listing sessions")), traced("PgSessionStore.listLive")),
    // A revocation waits for a rotation of the same session (its row lock), then re-checks the
    // session on the row as that left it: they never both decide on a stale copy.
    revoke: (userId, id) =>
      Effect.flatMap(
        now,
        (at) => sql`UPDATE userkit_sessions s SET revoked_at = ${at}
          WHERE s.id = ${id} AND s.user_id = ${userId} AND ${liveAt(sql, at)} RETURNING s.id`,
      ).pipe(
        Effect.map((rows) => count(rows) > 0),
        Effect.catchTag("SqlError", sqlDefect("revoking a session")),
        traced("PgSessionStore.revoke"),
      ),
    revokeAll: (userId, options = {}) =>
      Effect.flatMap(
        now,
        (at) => sql`UPDATE userkit_sessions s SET revoked_at = ${at}
          WHERE ${sql.and([
            sql`s.user_id = ${userId}`,
            liveAt(sql, at),
            ...(options.except === undefined ? [] : [sql`s.id <> ${options.except}`]),
          ])} RETURNING s.id`,
      ).pipe(
        Effect.map(count),
        Effect.catchTag("SqlError", sqlDefect("revoking sessions")),
        traced("PgSessionStore.revokeAll"),
      ),
    // SKIP LOCKED: a purge never waits for a session in use (nor for another purge), so it cannot
    // deadlock with anything; what it skips, the next purge takes. The tokens go by the cascade.
    purge: (olderThan = Duration.zero) =>
      Effect.flatMap(now, (at) => {
        const cutoff = new Date(at.getTime() - Duration.toMillis(olderThan))
        return sql`DELETE FROM userkit_sessions WHERE id IN (
          SELECT s.id FROM userkit_sessions s WHERE ${endedBy(sql, cutoff)} FOR UPDATE SKIP LOCKED) RETURNING id`
      }).pipe(
        Effect.map(count),
        Effect.catchTag("SqlError", sqlDefect("purging sessions")),
        traced("PgSessionStore.purge"),
      ),
  })
})

/** The SessionStore port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const layer: Layer.Layer<SessionStore, never, SqlClient.SqlClient> = Layer.effect(SessionStore, make)
