import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { AccountToken, AccountTokenStore, UserRepository } from "@userkit/domain"
import { accountTokenStoreContract, anAccountTokenHash, aStoredUser } from "@userkit/domain/testing"
import { DateTime, Effect, Layer, Schema } from "effect"
import { PgAccountTokenStore, PgUserRepository } from "../src/index.js"
import {
  hasTestDatabase,
  type MigratedTestDatabase,
  migratedEmbeddedDatabase,
  migratedPostgresDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

/** The store under test and the users it needs, on a migrated, empty `database`. */
const storeOn = (database: MigratedTestDatabase) =>
  Layer.merge(PgAccountTokenStore.layer, PgUserRepository.layer).pipe(Layer.provideMerge(database))

const embedded = storeOn(migratedEmbeddedDatabase())

accountTokenStoreContract("embedded engine (PGlite)", embedded)

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  accountTokenStoreContract("PostgreSQL", storeOn(migratedPostgresDatabase(testDatabaseUrl)))
})

const START = DateTime.unsafeMake("2026-01-05T09:00:00.000Z")
const Count = Schema.Array(Schema.Struct({ tokens: Schema.Number }))

/** The rows of the table, read around the store. */
const rowCount = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  sql`SELECT count(*)::int AS tokens FROM userkit_account_tokens`.pipe(
    Effect.flatMap(Schema.decodeUnknown(Count)),
    Effect.map((rows) => rows[0]?.tokens),
  ),
)

/** A stored user with a redeemed password-reset token and a live one of each purpose. */
const aUserWithTokens = Effect.gen(function* () {
  const stored = aStoredUser()
  yield* Effect.flatMap(UserRepository, (users) => users.insert(stored))
  const store = yield* AccountTokenStore
  const token = (purpose: AccountToken["purpose"]) =>
    new AccountToken({
      hash: anAccountTokenHash(),
      purpose,
      userId: stored.user.id,
      email: stored.user.email,
      createdAt: START,
      expiresAt: DateTime.add(START, { hours: 1 }),
    })
  const redeemed = token("password_reset")
  yield* store.issue(redeemed)
  yield* store.redeem(redeemed.hash, redeemed.purpose, START)
  yield* store.issue(token("password_reset"))
  yield* store.issue(token("email_verification"))
  return stored.user.id
})

describe("PgAccountTokenStore", () => {
  it.live("deleting a user deletes its tokens, redeemed or not, and no other", () =>
    Effect.gen(function* () {
      const userId = yield* aUserWithTokens
      yield* aUserWithTokens
      expect(yield* rowCount).toBe(6)
      yield* Effect.flatMap(UserRepository, (users) => users.delete(userId))
      expect(yield* rowCount).toBe(3)
    }).pipe(Effect.provide(embedded)),
  )

  it.live("refuses, in the table itself, a second unredeemed token of one purpose for one account", () =>
    Effect.gen(function* () {
      const userId = yield* aUserWithTokens
      const sql = yield* SqlClient.SqlClient
      const inserted = yield* sql`INSERT INTO userkit_account_tokens
        (hash, purpose, user_id, email, created_at, expires_at)
        VALUES ('another', 'password_reset', ${userId}, 'a@example.com', ${new Date()}, ${new Date()})`.pipe(
        Effect.either,
      )
      expect(inserted._tag).toBe("Left")
    }).pipe(Effect.provide(embedded)),
  )

  it.live("a purge finds expired and redeemed tokens through the index on when they ended", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const plan = yield* sql.withTransaction(
        Effect.andThen(
          sql`SET LOCAL enable_seqscan = off`,
          sql.unsafe("EXPLAIN SELECT hash FROM userkit_account_tokens WHERE LEAST(expires_at, redeemed_at) < $1", [
            new Date(),
          ]),
        ),
      )
      expect(JSON.stringify(plan)).toContain("userkit_account_tokens_end_idx")
    }).pipe(Effect.provide(embedded)),
  )
})
