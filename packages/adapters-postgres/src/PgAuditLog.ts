import { SqlClient } from "@effect/sql"
import { AuditEvent, AuditEventId, AuditEventType, AuditLog, type AuditQuery, traced, UserId } from "@userkit/domain"
import { DateTime, Effect, Layer, Schema } from "effect"
import { rowDefect, sqlDefect } from "./SqlFailure.js"

/** The most of a user agent the table keeps (its CHECK), in characters as PostgreSQL counts them: code points. */
const MAX_USER_AGENT = 512

/** A user agent cut to what the table keeps; a header is the client's to make as long as it likes. */
const capped = (userAgent: string | null): string | null => {
  if (userAgent === null || userAgent.length <= MAX_USER_AGENT) return userAgent
  return Array.from(userAgent).slice(0, MAX_USER_AGENT).join("")
}

/** An event's columns as the driver returns them (the time as Date). */
const AuditEventRow = Schema.Struct({
  id: AuditEventId,
  at: Schema.DateTimeUtcFromDate,
  type: AuditEventType,
  actor: Schema.NullOr(UserId),
  target: Schema.NullOr(UserId),
  address: Schema.NullOr(Schema.String),
  user_agent: Schema.NullOr(Schema.String),
  detail: Schema.NullOr(Schema.String),
})

/** The one place rows become events and back; the user agent is cut on the way in. */
const AuditEventFromRow = Schema.transform(AuditEventRow, Schema.typeSchema(AuditEvent), {
  strict: true,
  // The row schema has just checked every field with AuditEvent's own schemas.
  decode: (row) =>
    new AuditEvent(
      {
        id: row.id,
        at: row.at,
        type: row.type,
        actor: row.actor,
        target: row.target,
        address: row.address,
        userAgent: row.user_agent,
        detail: row.detail,
      },
      true,
    ),
  encode: (event) => ({
    id: event.id,
    at: event.at,
    type: event.type,
    actor: event.actor,
    target: event.target,
    address: event.address,
    user_agent: capped(event.userAgent),
    detail: event.detail,
  }),
})

const decodeEvents = Schema.decodeUnknown(Schema.Array(AuditEventFromRow))
/** An event as its row (the time as Date, the user agent cut to what the table keeps). */
export const encodeEvent = Schema.encode(AuditEventFromRow)
const Count = Schema.Array(Schema.Struct({ count: Schema.Number }))

const COLUMNS = Object.keys(AuditEventRow.fields).join(", ")

export const make: Effect.Effect<AuditLog["Type"], never, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const columns = sql.literal(COLUMNS)

  /** The WHERE of `query`: each filter given, ANDed (none: every event). */
  const where = (query: AuditQuery) =>
    sql.and([
      ...(query.target === undefined ? [] : [sql`target = ${query.target}`]),
      ...(query.types === undefined ? [] : [sql.in("type", query.types)]),
      ...(query.since === undefined ? [] : [sql`at >= ${DateTime.toDate(query.since)}`]),
      ...(query.until === undefined ? [] : [sql`at < ${DateTime.toDate(query.until)}`]),
      // As uuid, which orders as the lower-case text the domain compares.
      ...(query.before === undefined ? [] : [sql`id < ${query.before}::uuid`]),
    ])

  return AuditLog.of({
    record: (event) =>
      encodeEvent(event).pipe(
        Effect.orDie,
        Effect.flatMap((row) => sql`INSERT INTO userkit_audit_events ${sql.insert(row)}`),
        Effect.asVoid,
        Effect.catchTag("SqlError", sqlDefect("recording an audit event")),
        traced("PgAuditLog.record", { attributes: { type: event.type } }),
      ),
    list: (query) =>
      (Number.isInteger(query.limit) && query.limit >= 0
        ? sql`SELECT ${columns} FROM userkit_audit_events WHERE ${where(query)}
            ORDER BY id DESC LIMIT ${query.limit}`.pipe(
            Effect.flatMap(decodeEvents),
            Effect.catchTag("ParseError", rowDefect("reading audit events", "userkit_audit_events")),
          )
        : Effect.dieMessage("listing audit events: the limit is not a whole number of at least 0")
      ).pipe(Effect.catchTag("SqlError", sqlDefect("listing audit events")), traced("PgAuditLog.list")),
    // One statement counting the rows it took. SKIP LOCKED: two purges at once split the old
    // events between them instead of waiting on each other (in opposite orders, a deadlock).
    purge: (before) =>
      sql`WITH gone AS (DELETE FROM userkit_audit_events WHERE id IN (
          SELECT id FROM userkit_audit_events WHERE at < ${DateTime.toDate(before)} FOR UPDATE SKIP LOCKED) RETURNING 1)
        SELECT count(*)::int AS count FROM gone`.pipe(
        Effect.flatMap(Schema.decodeUnknown(Count)),
        Effect.map((rows) => rows[0]?.count ?? 0),
        Effect.catchTag("ParseError", rowDefect("purging audit events", "userkit_audit_events")),
        Effect.catchTag("SqlError", sqlDefect("purging audit events")),
        traced("PgAuditLog.purge"),
      ),
  })
})

/** The AuditLog port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const layer: Layer.Layer<AuditLog, never, SqlClient.SqlClient> = Layer.effect(AuditLog, make)
