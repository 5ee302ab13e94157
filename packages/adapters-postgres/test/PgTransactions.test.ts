import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { AuditLog, StoreUnavailable, Transactions } from "@userkit/domain"
import { anAuditEvent, transactionsContract } from "@userkit/domain/testing"
import { Cause, Context, Deferred, Effect, Exit, Layer, Ref, Schema } from "effect"
import { PgAuditLog, PgTransactions, PgUserRepository, PostgresClient } from "../src/index.js"
import { sqlDefect } from "../src/SqlFailure.js"
import {
  hasTestDatabase,
  type MigratedTestDatabase,
  migratedEmbeddedDatabase,
  migratedPostgresDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

/** Transactions and two stores they cover, on a migrated, empty `database`. */
const storesOn = (database: MigratedTestDatabase) =>
  Layer.mergeAll(PgTransactions.layer, PgAuditLog.layer, PgUserRepository.layer).pipe(Layer.provideMerge(database))

transactionsContract("embedded engine (PGlite)", storesOn(migratedEmbeddedDatabase()), { rollsBack: true })

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  const server = storesOn(migratedPostgresDatabase(testDatabaseUrl))
  transactionsContract("PostgreSQL", server, { rollsBack: true })

  const Pid = Schema.Array(Schema.Struct({ pid: Schema.Number }))

  it.live("a connection lost before the commit is the StoreUnavailable defect, and nothing of the block remains", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const log = yield* AuditLog
      // Another connection, as an operator's: it ends the transaction's session from outside.
      const admin = Context.get(
        yield* Layer.build(PostgresClient.layer({ url: testDatabaseUrl, maxConnections: 1 })),
        SqlClient.SqlClient,
      )
      const event = yield* anAuditEvent()
      const exit = yield* Effect.exit(
        Effect.flatMap(Transactions, (transactions) =>
          transactions.atomically(
            Effect.gen(function* () {
              yield* log.record(event)
              const [own] = yield* Effect.orDie(
                Effect.flatMap(sql`SELECT pg_backend_pid() AS pid`, Schema.decodeUnknown(Pid)),
              )
              yield* Effect.orDie(admin`SELECT pg_terminate_backend(${own?.pid ?? 0})`)
            }),
          ),
        ),
      )
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(StoreUnavailable)
      expect(yield* log.list({ limit: 10 })).toEqual([])
    }).pipe(Effect.scoped, Effect.provide(server)),
  )

  it.live("a transaction rolled back to break a deadlock runs again: both of two crossing ones commit", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const transactions = yield* Transactions
      const table = `deadlock_${Date.now()}`
      yield* Effect.orDie(sql.unsafe(`CREATE TABLE ${table} (id int PRIMARY KEY, n int NOT NULL)`))
      yield* Effect.orDie(sql.unsafe(`INSERT INTO ${table} VALUES (1, 0), (2, 0)`))
      const attempts = yield* Ref.make(0)
      // As a store writes: a failed statement is the defect sqlDefect makes of it.
      const bump = (id: number) =>
        sql.unsafe(`UPDATE ${table} SET n = n + 1 WHERE id = ${id}`).pipe(Effect.catchAll(sqlDefect("bumping")))
      // Each locks one row, waits for the other to lock the other, then wants it: a deadlock.
      const crossing = (
        first: number,
        second: number,
        ready: Deferred.Deferred<void>,
        other: Deferred.Deferred<void>,
      ) =>
        transactions.atomically(
          Effect.gen(function* () {
            const attempt = yield* Ref.updateAndGet(attempts, (n) => n + 1)
            yield* bump(first)
            if (attempt <= 2) {
              yield* Deferred.succeed(ready, undefined)
              yield* Deferred.await(other)
            }
            yield* bump(second)
          }),
        )
      const [a, b] = [yield* Deferred.make<void>(), yield* Deferred.make<void>()]
      yield* Effect.all([crossing(1, 2, a, b), crossing(2, 1, b, a)], { concurrency: 2 })
      const rows = yield* Effect.orDie(sql.unsafe(`SELECT n FROM ${table} ORDER BY id`))
      expect(rows).toEqual([{ n: 2 }, { n: 2 }])
      expect(yield* Ref.get(attempts)).toBe(3)
      yield* Effect.orDie(sql.unsafe(`DROP TABLE ${table}`))
    }).pipe(Effect.provide(server)),
  )
})
