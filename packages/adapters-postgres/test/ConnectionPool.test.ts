import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { MAX_PREPARED_STATEMENTS } from "../src/ConnectionPool.js"
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

describe("prepared statements", () => {
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

  it.live.runIf(hasTestDatabase)(
    "each statement with values is prepared once per connection; the rest run unnamed",
    () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        for (const n of [1, 2, 3]) expect(yield* sql`SELECT ${n}::int AS n`).toEqual([{ n }])
        yield* sql`SELECT 1 AS plain`
        const statements = (yield* prepared).map((row) => row.statement)
        expect(statements.filter((text) => text.includes("AS n"))).toEqual(["SELECT $1::int AS n"])
        expect(statements.some((text) => text.includes("plain"))).toBe(false)
        // A statement PostgreSQL refuses at parse is an error like any other; the session goes on.
        const refused = yield* Effect.exit(sql`SELECT ${1}::int FROM no_such_table`)
        expect(Exit.isFailure(refused)).toBe(true)
        expect(yield* sql`SELECT ${4}::int AS n`).toEqual([{ n: 4 }])
        // In a transaction rolled back, too.
        const rolledBack = yield* Effect.exit(
          sql.withTransaction(Effect.zipRight(sql`SELECT ${5}::int AS n`, Effect.fail("undo"))),
        )
        expect(Exit.isFailure(rolledBack)).toBe(true)
        expect(yield* sql`SELECT ${6}::int AS n`).toEqual([{ n: 6 }])
      }).pipe(Effect.provide(onOneConnection())),
  )

  it.live.runIf(hasTestDatabase)(`at most ${MAX_PREPARED_STATEMENTS} texts are prepared; more run unnamed`, () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const texts = MAX_PREPARED_STATEMENTS + 5
      for (let i = 0; i < texts; i++)
        expect(yield* sql`SELECT ${i}::int AS ${sql(`n${i}`)}`).toEqual([{ [`n${i}`]: i }])
      expect((yield* prepared).length).toBe(MAX_PREPARED_STATEMENTS)
    }).pipe(Effect.provide(onOneConnection())),
  )

  it.live.runIf(hasTestDatabase)("none is prepared when they are turned off (a pooler that cannot keep them)", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      expect(yield* sql`SELECT ${1}::int AS n`).toEqual([{ n: 1 }])
      expect(yield* prepared).toEqual([])
    }).pipe(Effect.provide(onOneConnection(false))),
  )
})
