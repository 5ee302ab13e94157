import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Context, Effect, Layer } from "effect"
import { checkReadiness, type Migration, MigrationError, Migrator, migrations, PostgresClient } from "../src/index.js"
import { searchMigrationSuite } from "./suites/SearchMigrationSuite.js"
import {
  embeddedTestDatabase,
  freshSchema,
  hasTestDatabase,
  postgresTestDatabase,
  type TestDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

const latest = migrations.length
const aTable = (version: number, table: string, extraSql = ""): Migration => ({
  version,
  name: `create_${table}`,
  up: `CREATE TABLE ${table} (id integer); ${extraSql}`,
  down: `DROP TABLE ${table};`,
})
// Two test migrations after the real ones; pg_sleep widens the window in which concurrent
// migrators would race without the lock.
const alpha = latest + 1
const beta = latest + 2
const twoMore = [...migrations, aTable(alpha, "alpha", "SELECT pg_sleep(0.05);"), aTable(beta, "beta")]

const tableExists = (name: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(sql<{ readonly present: boolean }>`SELECT to_regclass(${name}) IS NOT NULL AS present`, (rows) =>
      rows.some((r) => r.present),
    ),
  )
const versions = (list: ReadonlyArray<{ readonly version: number }>) => list.map((m) => m.version)
const everyVersion = [...versions(migrations), alpha, beta]
const recordedVersions = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql<{ readonly version: number }>`SELECT version FROM userkit_migrations ORDER BY version`, versions),
)

const migratorSuite = (name: string, database: TestDatabase) =>
  describe(`Migrator: ${name}`, () => {
    const test = (title: string, body: Effect.Effect<void, unknown, SqlClient.SqlClient | Migrator.Migrator>) =>
      it.live(title, () => body.pipe(Effect.provide(Migrator.layer.pipe(Layer.provideMerge(database)))))

    test(
      "a fresh database has every migration pending and is not ready",
      Effect.gen(function* () {
        const status = yield* Effect.flatMap(Migrator.Migrator, (m) => m.status)
        expect(status).toEqual({ applied: [], pending: migrations, current: false })
        expect(yield* checkReadiness()).toEqual({ ready: false, database: true, migrationsCurrent: false })
      }),
    )

    test(
      "up applies every migration once, then finds nothing left to apply",
      Effect.gen(function* () {
        const migrator = yield* Migrator.Migrator
        expect(yield* migrator.up).toEqual(migrations)
        expect(yield* tableExists("users")).toBe(true)
        const status = yield* migrator.status
        expect(versions(status.applied)).toEqual(versions(migrations))
        expect(status).toMatchObject({ pending: [], current: true })
        expect(yield* migrator.up).toEqual([])
        expect(yield* checkReadiness()).toEqual({ ready: true, database: true, migrationsCurrent: true })
      }),
    )

    test(
      "down reverts the latest migration, and up applies it again",
      Effect.gen(function* () {
        const migrator = yield* Migrator.Migrator
        yield* migrator.up
        expect(yield* migrator.down()).toEqual(migrations.slice(-1))
        expect(yield* migrator.status).toMatchObject({ pending: migrations.slice(-1), current: false })
        expect(yield* migrator.down({ to: 0 })).toEqual([...migrations].reverse().slice(1))
        expect(yield* tableExists("users")).toBe(false)
        expect(yield* migrator.status).toEqual({ applied: [], pending: migrations, current: false })
        expect(yield* migrator.down()).toEqual([])
        expect(yield* migrator.up).toEqual(migrations)
        expect(yield* tableExists("users")).toBe(true)
      }),
    )

    test(
      "down to a version reverts every migration above it, latest first",
      Effect.gen(function* () {
        const migrator = yield* Migrator.make(twoMore)
        yield* migrator.up
        expect(versions(yield* migrator.down({ to: latest }))).toEqual([beta, alpha])
        expect([yield* tableExists("users"), yield* tableExists("alpha"), yield* tableExists("beta")]).toEqual([
          true,
          false,
          false,
        ])
        expect(versions((yield* migrator.status).pending)).toEqual([alpha, beta])
        expect(versions(yield* migrator.down({ to: 0 }))).toEqual(versions(migrations).reverse())
      }),
    )

    test(
      "a failing migration leaves no trace and says which one failed",
      Effect.gen(function* () {
        const migrator = yield* Migrator.make([...migrations, aTable(alpha, "alpha", "SELECT no_such_function();")])
        const error = yield* Effect.flip(migrator.up)
        expect(error).toBeInstanceOf(MigrationError)
        expect(error.message).toContain(`migration ${alpha} (create_alpha) failed`)
        expect(error.message).toContain("no_such_function")
        expect(yield* tableExists("alpha")).toBe(false)
        expect(versions((yield* migrator.status).applied)).toEqual(versions(migrations))
      }),
    )

    test(
      "refuses to revert a migration this version does not know",
      Effect.gen(function* () {
        yield* Effect.flatMap(Migrator.make(twoMore), (m) => m.up)
        const error = yield* Effect.flip(Effect.flatMap(Migrator.Migrator, (m) => m.down()))
        expect(error.message).toContain(`migration ${beta} (create_beta) is applied but unknown`)
        expect(yield* tableExists("beta")).toBe(true)
      }),
    )

    test(
      "concurrent ups through one pool apply each migration exactly once",
      Effect.gen(function* () {
        const migrator = yield* Migrator.make(twoMore)
        const applied = yield* Effect.all(
          Array.from({ length: 6 }, () => migrator.up),
          { concurrency: "unbounded" },
        )
        expect(versions(applied.flat()).sort((a, b) => a - b)).toEqual(everyVersion)
        expect(yield* recordedVersions).toEqual(everyVersion)
      }),
    )
  })

const embedded = embeddedTestDatabase()
migratorSuite("embedded engine (PGlite)", embedded)
searchMigrationSuite("embedded engine (PGlite)", embedded)

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  migratorSuite("PostgreSQL", postgresTestDatabase(testDatabaseUrl))
  searchMigrationSuite("PostgreSQL", postgresTestDatabase(testDatabaseUrl))

  it.live("several instances starting at once on a fresh schema apply each migration exactly once", () =>
    Effect.gen(function* () {
      const schemaUrl = yield* freshSchema(testDatabaseUrl)
      const clients = yield* Effect.all(
        Array.from({ length: 5 }, () =>
          Effect.map(
            Layer.build(PostgresClient.layer({ url: schemaUrl, maxConnections: 1 })),
            Context.get(SqlClient.SqlClient),
          ),
        ),
        { concurrency: "unbounded" },
      )
      const onEach = <A, E>(effect: Effect.Effect<A, E, SqlClient.SqlClient>) =>
        Effect.forEach(clients, (sql) => Effect.provideService(effect, SqlClient.SqlClient, sql))
      const migrators = yield* onEach(Migrator.make(twoMore))
      const applied = yield* Effect.all(
        migrators.map((m) => m.up),
        { concurrency: "unbounded" },
      )
      expect(versions(applied.flat()).sort((a, b) => a - b)).toEqual(everyVersion)
      expect(yield* onEach(recordedVersions)).toEqual(clients.map(() => everyVersion))
    }).pipe(Effect.scoped),
  )
})
