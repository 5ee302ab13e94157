import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { type RotationRules, SessionStore, UserRepository } from "@userkit/domain"
import { aLogin, aStoredUser, aTokenHash, sessionOwnersContract, sessionStoreContract } from "@userkit/domain/testing"
import { Duration, Effect, Layer, Schema } from "effect"
import { PgAuditLog, PgSessionOwners, PgSessionStore, PgUserRepository } from "../src/index.js"
import {
  embeddedTestDatabase,
  hasTestDatabase,
  migrated,
  postgresTestDatabase,
  type TestDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

/** The store under test and the users it needs, on a migrated, empty `database`. */
const storeOn = (database: TestDatabase) =>
  Layer.mergeAll(PgSessionStore.layer, PgUserRepository.layer).pipe(Layer.provideMerge(migrated(database)))
/** The same, with the one-query SessionOwners. */
const ownersOn = (database: TestDatabase) =>
  Layer.mergeAll(PgSessionOwners.layer, PgSessionStore.layer, PgUserRepository.layer, PgAuditLog.layer).pipe(
    Layer.provideMerge(migrated(database)),
  )

const embedded = storeOn(embeddedTestDatabase())

sessionStoreContract("embedded engine (PGlite)", embedded)
sessionOwnersContract("one join, on the embedded engine (PGlite)", ownersOn(embeddedTestDatabase()))

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  sessionStoreContract("PostgreSQL", storeOn(postgresTestDatabase(testDatabaseUrl)))
  sessionOwnersContract("one join, on PostgreSQL", ownersOn(postgresTestDatabase(testDatabaseUrl)))
})

const rules: RotationRules = { graceWindow: Duration.seconds(10), idleTimeout: Duration.days(7) }
const Count = Schema.Array(Schema.Struct({ sessions: Schema.Number, tokens: Schema.Number }))

/** The rows in both tables, read around the store. */
const rowCounts = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql`SELECT (SELECT count(*)::int FROM userkit_sessions) AS sessions,
    (SELECT count(*)::int FROM userkit_refresh_tokens) AS tokens`.pipe(
    Effect.flatMap(Schema.decodeUnknown(Count)),
    Effect.map((rows) => rows[0]),
  ),
)

/** A stored user with one session rotated twice: three tokens. */
const aUserWithASession = Effect.gen(function* () {
  const stored = aStoredUser()
  yield* Effect.flatMap(UserRepository, (repo) => repo.insert(stored))
  const { session, token } = yield* aLogin(stored.user.id)
  const store = yield* SessionStore
  const [second, third] = [aTokenHash(), aTokenHash()]
  yield* store.rotate(token, second, rules)
  yield* store.rotate(second, third, rules)
  return { userId: stored.user.id, session }
})

describe("PgSessionStore", () => {
  it.live("deleting a user deletes its sessions and their tokens", () =>
    Effect.gen(function* () {
      const { userId } = yield* aUserWithASession
      yield* aUserWithASession
      expect(yield* rowCounts).toEqual({ sessions: 2, tokens: 6 })
      yield* Effect.flatMap(UserRepository, (repo) => repo.delete(userId))
      expect(yield* rowCounts).toEqual({ sessions: 1, tokens: 3 })
    }).pipe(Effect.provide(embedded)),
  )

  it.live("a purge deletes the tokens of the sessions it deletes, and no other", () =>
    Effect.gen(function* () {
      const store = yield* SessionStore
      const { userId, session } = yield* aUserWithASession
      yield* aUserWithASession
      yield* store.revoke(userId, session.id)
      expect(yield* store.purge()).toBe(1)
      expect(yield* rowCounts).toEqual({ sessions: 1, tokens: 3 })
    }).pipe(Effect.provide(embedded)),
  )

  it.live("a purge finds ended sessions through the index on when they ended", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const [text, params] =
        sql`SELECT s.id FROM userkit_sessions s WHERE ${PgSessionStore.endedBy(sql, new Date())}`.compile()
      // With sequential scans priced out, the planner takes the index if the expression matches it.
      const plan = yield* sql.withTransaction(
        Effect.andThen(sql`SET LOCAL enable_seqscan = off`, sql.unsafe(`EXPLAIN ${text}`, params)),
      )
      expect(JSON.stringify(plan)).toContain("userkit_sessions_end_idx")
    }).pipe(Effect.provide(embedded)),
  )
})
