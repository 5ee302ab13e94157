import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { AuditLog, StoreUnavailable, Transactions } from "@userkit/domain"
import { anAuditEvent, transactionsContract } from "@userkit/domain/testing"
import { Cause, Context, Effect, Exit, Layer, Schema } from "effect"
import { PgAuditLog, PgTransactions, PgUserRepository, PostgresClient } from "../src/index.js"
import {
  embeddedTestDatabase,
  hasTestDatabase,
  migrated,
  postgresTestDatabase,
  type TestDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

/** Transactions and two stores they cover, on a migrated, empty `database`. */
const storesOn = (database: TestDatabase) =>
  Layer.mergeAll(PgTransactions.layer, PgAuditLog.layer, PgUserRepository.layer).pipe(
    Layer.provideMerge(migrated(database)),
  )

transactionsContract("embedded engine (PGlite)", storesOn(embeddedTestDatabase()), { rollsBack: true })

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  const server = storesOn(postgresTestDatabase(testDatabaseUrl))
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
})
