import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { PasswordHash, type RotationRules, SessionStore, UserRepository } from "@userkit/domain"
import {
  aLogin,
  aSession,
  aStoredUser,
  aTokenHash,
  openFor,
  sessionOwnersContract,
  sessionStoreContract,
} from "@userkit/domain/testing"
import { Deferred, Duration, Effect, Fiber, Layer, Option, Schema } from "effect"
import { PgAuditLog, PgSessionOwners, PgSessionStore, PgUserRepository } from "../src/index.js"
import {
  hasTestDatabase,
  type MigratedTestDatabase,
  migratedEmbeddedDatabase,
  migratedPostgresDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

/** The store under test and the users it needs, on a migrated, empty `database`. */
const storeOn = (database: MigratedTestDatabase) =>
  Layer.mergeAll(PgSessionStore.layer, PgUserRepository.layer).pipe(Layer.provideMerge(database))
/** The same, with the one-query SessionOwners. */
const ownersOn = (database: MigratedTestDatabase) =>
  Layer.mergeAll(PgSessionOwners.layer, PgSessionStore.layer, PgUserRepository.layer, PgAuditLog.layer).pipe(
    Layer.provideMerge(database),
  )

const embeddedEngine = migratedEmbeddedDatabase()
const embedded = storeOn(embeddedEngine)

sessionStoreContract("embedded engine (PGlite)", embedded)
sessionOwnersContract("one join, on the embedded engine (PGlite)", ownersOn(embeddedEngine))

/**
 * A login's session opened while `change` (an UPDATE of the account's row, `$1` its id) is held
 * uncommitted by another transaction, committed half a second after the login's statement started.
 */
const openWhileHeld = (change: string) =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const stored = aStoredUser({ passwordHash: "hash-as-verified" })
    yield* Effect.orDie(Effect.flatMap(UserRepository, (users) => users.insert(stored)))
    const written = yield* Deferred.make<void>()
    const release = yield* Deferred.make<void>()
    const holder = yield* Effect.fork(
      sql.withTransaction(
        Effect.gen(function* () {
          yield* sql.unsafe(change, [stored.user.id])
          yield* Deferred.succeed(written, undefined)
          yield* Deferred.await(release)
        }),
      ),
    )
    yield* Deferred.await(written)
    const session = yield* aSession(stored.user.id)
    const login = yield* Effect.fork(openFor(session, PasswordHash.make("hash-as-verified")))
    // The login's statement now waits for the change's row lock.
    yield* Effect.sleep("500 millis")
    yield* Deferred.succeed(release, undefined)
    yield* Fiber.join(holder)
    return {
      found: (yield* Fiber.join(login)).found,
      live: yield* Effect.flatMap(SessionStore, (store) => store.findLive(session.id)),
    }
  }).pipe(Effect.orDie)

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  const database = migratedPostgresDatabase(testDatabaseUrl)
  sessionStoreContract("PostgreSQL", storeOn(database))
  const owners = ownersOn(database)
  sessionOwnersContract("one join, on PostgreSQL", owners)

  // The embedded engine has one connection: nothing commits while a statement runs.
  it.live(
    "a login waiting for a change to its account: refused as inactive, changed or gone, opened past a profile edit",
    () =>
      Effect.gen(function* () {
        expect(yield* openWhileHeld("UPDATE users SET is_active = false WHERE id = $1")).toEqual({
          found: "inactive",
          live: Option.none(),
        })
        expect(yield* openWhileHeld("UPDATE users SET password_hash = 'hash-changed' WHERE id = $1")).toEqual({
          found: "changed",
          live: Option.none(),
        })
        expect(yield* openWhileHeld("DELETE FROM users WHERE id = $1")).toEqual({
          found: "changed",
          live: Option.none(),
        })
        // A change to neither the password nor the standing: the login goes ahead once it commits.
        expect((yield* openWhileHeld("UPDATE users SET full_name = 'not kept' WHERE id = $1")).found).toBe("opened")
      }).pipe(Effect.provide(owners)),
  )
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
