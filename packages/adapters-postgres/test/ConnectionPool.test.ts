import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { PoolStats, PostgresClient } from "../src/index.js"
import { hasTestDatabase, testDatabaseUrl } from "./support/TestDatabase.js"

describe("the connection pool", () => {
  it.live("refuses to start on a server that does not answer, saying so without the URL", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        Effect.provide(Effect.void, PostgresClient.layer({ url: "postgres://u:hunter2@127.0.0.1:1/x" })),
      )
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(exit)).toContain("PgClient: Failed to connect")
      expect(String(exit)).not.toContain("hunter2")
    }),
  )

  it.live.runIf(hasTestDatabase)("tells how many connections are open, idle and waited for", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const stats = yield* PoolStats
      const busy = Effect.all(
        Array.from({ length: 4 }, () => sql`SELECT pg_sleep(0.3)`),
        { concurrency: "unbounded" },
      )
      const during = yield* Effect.fork(busy)
      yield* Effect.sleep("150 millis")
      const loaded = yield* stats.read
      yield* during.await
      expect(loaded).toMatchObject({ max: 2, open: 2, idle: 0, waiting: 2 })
      expect((yield* stats.read).waiting).toBe(0)
    }).pipe(Effect.provide(PostgresClient.layer({ url: testDatabaseUrl, maxConnections: 2 }))),
  )
})
