import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { EmbeddedEngine, PoolQuery, PoolStats, PostgresClient } from "../src/index.js"
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

describe("PoolQuery", () => {
  // One connection, so every statement below runs in the one session whose prepared statements are read.
  const onOneConnection = (preparedStatements?: boolean) =>
    PostgresClient.layer({
      url: testDatabaseUrl,
      maxConnections: 1,
      ...(preparedStatements === undefined ? {} : { preparedStatements }),
    })
  const prepared = Effect.flatMap(
    SqlClient.SqlClient,
    (sql) => sql<{ readonly statement: string }>`SELECT statement FROM pg_prepared_statements ORDER BY name`,
  )
  const rows = (text: string, values: ReadonlyArray<unknown>) =>
    Effect.flatMap(PoolQuery, (query) => query.rows(text, values))

  it.live.runIf(hasTestDatabase)("prepares each text once per connection on a server, and answers its rows", () =>
    Effect.gen(function* () {
      for (const n of [1, 2, 3]) expect(yield* rows("SELECT $1::int AS n", [n])).toEqual([{ n }])
      expect((yield* prepared).map((row) => row.statement)).toEqual(["SELECT $1::int AS n"])
      // A statement PostgreSQL refuses is a SqlError; the connection goes on.
      const refused = yield* Effect.exit(rows("SELECT $1::int FROM no_such_table", [1]))
      expect(Exit.isFailure(refused)).toBe(true)
      expect(yield* rows("SELECT $1::int AS n", [4])).toEqual([{ n: 4 }])
    }).pipe(Effect.provide(onOneConnection())),
  )

  it.live.runIf(hasTestDatabase)(
    "runs a prepared statement PostgreSQL no longer takes unnamed, on a fresh connection",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        yield* sql`DROP TABLE IF EXISTS pool_query_stale`
        yield* sql`CREATE TABLE pool_query_stale (v varchar(10))`
        yield* sql`INSERT INTO pool_query_stale VALUES ('a')`
        const text = "SELECT v FROM pool_query_stale WHERE v = $1"
        expect(yield* rows(text, ["a"])).toEqual([{ v: "a" }])
        // Another instance's migration changes the type the prepared statement answers: 0A000 from now on.
        yield* sql`ALTER TABLE pool_query_stale ALTER COLUMN v TYPE text`
        expect(yield* rows(text, ["a"])).toEqual([{ v: "a" }])
        expect(yield* rows(text, ["a"])).toEqual([{ v: "a" }])
        yield* sql`DROP TABLE pool_query_stale`
      }).pipe(Effect.provide(onOneConnection())),
  )

  it.live.runIf(hasTestDatabase)("prepares nothing when told not to (a pooler that cannot keep them)", () =>
    Effect.gen(function* () {
      expect(yield* rows("SELECT $1::int AS n", [1])).toEqual([{ n: 1 }])
      expect(yield* prepared).toEqual([])
    }).pipe(Effect.provide(onOneConnection(false))),
  )

  it.live("leaves the embedded engine's one session whole after a statement fails", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const refused = yield* Effect.exit(rows("SELECT $1::int AS n", ["not a number"]))
      expect(Exit.isFailure(refused)).toBe(true)
      expect(yield* rows("SELECT $1::int AS n", [5])).toEqual([{ n: 5 }])
      expect(yield* sql`SELECT 6 AS n`).toEqual([{ n: 6 }])
      expect(yield* prepared).toEqual([])
    }).pipe(Effect.provide(EmbeddedEngine.layer())),
  )
})
