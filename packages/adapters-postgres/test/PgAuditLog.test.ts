import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { AuditLog, UserRepository } from "@userkit/domain"
import { anAuditEvent, aStoredUser, auditLogContract } from "@userkit/domain/testing"
import { Effect, Layer } from "effect"
import { PgAuditLog, PgUserRepository } from "../src/index.js"
import {
  hasTestDatabase,
  type MigratedTestDatabase,
  migratedEmbeddedDatabase,
  migratedPostgresDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

/** The log under test on a migrated, empty `database`. */
const logOn = (database: MigratedTestDatabase) => PgAuditLog.layer.pipe(Layer.provideMerge(database))

const embedded = Layer.merge(PgAuditLog.layer, PgUserRepository.layer).pipe(
  Layer.provideMerge(migratedEmbeddedDatabase()),
)

auditLogContract("embedded engine (PGlite)", embedded)

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  auditLogContract("PostgreSQL", logOn(migratedPostgresDatabase(testDatabaseUrl)))
})

/** The plan of `query` with sequential scans priced out: the index the planner would take, if any. */
const plan = (query: string, params: ReadonlyArray<unknown>) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.withTransaction(Effect.andThen(sql`SET LOCAL enable_seqscan = off`, sql.unsafe(`EXPLAIN ${query}`, params))),
  ).pipe(Effect.map(JSON.stringify))

describe("PgAuditLog", () => {
  it.live("keeps an account's events after the account is deleted", () =>
    Effect.gen(function* () {
      const stored = aStoredUser()
      yield* Effect.flatMap(UserRepository, (users) => users.insert(stored))
      const event = yield* anAuditEvent({ type: "deleted", actor: stored.user.id, target: stored.user.id })
      const log = yield* AuditLog
      yield* log.record(event)
      yield* Effect.flatMap(UserRepository, (users) => users.delete(stored.user.id))
      expect(yield* log.list({ target: stored.user.id, limit: 10 })).toEqual([event])
    }).pipe(Effect.provide(embedded)),
  )

  it.live("refuses, in the table itself, a type not in the list and an uncut user agent", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const insert = (type: string, userAgent: string) =>
        sql`INSERT INTO userkit_audit_events (id, at, type, user_agent)
          VALUES (${crypto.randomUUID()}, ${new Date()}, ${type}, ${userAgent})`.pipe(Effect.either)
      expect((yield* insert("logged_in", "a".repeat(512)))._tag).toBe("Right")
      expect((yield* insert("hacked", "curl"))._tag).toBe("Left")
      expect((yield* insert("logged_in", "a".repeat(513)))._tag).toBe("Left")
    }).pipe(Effect.provide(embedded)),
  )

  it.live("finds an account's events, one type's events and old events through their indexes", () =>
    Effect.gen(function* () {
      const [target, type, at] = [crypto.randomUUID(), "throttled", new Date()]
      const byTarget = yield* plan("SELECT id FROM userkit_audit_events WHERE target = $1 ORDER BY id DESC LIMIT 20", [
        target,
      ])
      expect(byTarget).toContain("userkit_audit_events_target_idx")
      const byType = yield* plan("SELECT id FROM userkit_audit_events WHERE type IN ($1) ORDER BY id DESC LIMIT 20", [
        type,
      ])
      expect(byType).toContain("userkit_audit_events_type_idx")
      const old = yield* plan("SELECT id FROM userkit_audit_events WHERE at < $1", [at])
      expect(old).toContain("userkit_audit_events_at_idx")
    }).pipe(Effect.provide(embedded)),
  )
})
