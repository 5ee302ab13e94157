import { SqlClient, type SqlError } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { afterAll, beforeAll } from "@effect/vitest"
import { Context, Effect, Layer, ManagedRuntime, type Scope } from "effect"
import {
  type DataDirectoryUnavailable,
  EmbeddedEngine,
  type MigrationError,
  Migrator,
  PgUserRepository,
  type PoolQuery,
  PostgresClient,
} from "../../src/index.js"

/** A real PostgreSQL server for the tests that need one; CI always sets it. */
export const testDatabaseUrl = process.env.TEST_DATABASE_URL ?? ""
export const hasTestDatabase = testDatabaseUrl !== ""

/** A database connection whose every build starts from an empty database. */
export type TestDatabase = Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | PoolQuery,
  SqlError.SqlError | DataDirectoryUnavailable
>

/**
 * `layer` built once for the whole test file (starting PGlite costs seconds, migrating it more),
 * `reset` run on it each time the returned layer is built.
 */
const onePerFile = <A, E, E2>(
  layer: Layer.Layer<A, E>,
  reset: Effect.Effect<void, E2, NoInfer<A>>,
): Layer.Layer<A, E | E2> => {
  const built = ManagedRuntime.make(layer)
  beforeAll(() => built.runtime())
  afterAll(() => built.dispose())
  return Layer.effectContext(Effect.flatMap(built, ({ context }) => Effect.as(Effect.provide(reset, context), context)))
}

/**
 * One in-memory embedded engine for the whole test file, wiped (schema `public` dropped and
 * recreated) each time the returned layer is built.
 */
export const embeddedTestDatabase = (): TestDatabase =>
  onePerFile(
    EmbeddedEngine.layer(),
    Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe("DROP SCHEMA public CASCADE; CREATE SCHEMA public")),
  )

// Test files run in parallel; two concurrent CREATE EXTENSIONs of one name would collide.
const TRGM_LOCK_KEY = 7_535_170_002

/** A schema of its own on the test server, dropped with the scope; returns a URL that selects it. */
export const freshSchema = (url: string): Effect.Effect<string, SqlError.SqlError, Scope.Scope> =>
  Effect.gen(function* () {
    const admin = Context.get(yield* Layer.build(PostgresClient.layer({ url, maxConnections: 1 })), SqlClient.SqlClient)
    // As a DBA would: pg_trgm in a schema no test drops, else migration 2 installs it in the first
    // test schema, whose DROP ... CASCADE would take every other schema's trigram indexes along.
    yield* admin.withTransaction(
      Effect.andThen(
        admin`SELECT pg_advisory_xact_lock(${TRGM_LOCK_KEY})`,
        admin`CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA public`,
      ),
    )
    const schema = `userkit_test_${crypto.randomUUID().replaceAll("-", "")}`
    yield* Effect.acquireRelease(admin.unsafe(`CREATE SCHEMA ${schema}`), () =>
      Effect.orDie(admin.unsafe(`DROP SCHEMA ${schema} CASCADE`)),
    )
    // pg sends `options` in the startup message, so every pooled connection uses the schema.
    const selected = new URL(url)
    selected.searchParams.set("options", `-c search_path=${schema}`)
    return selected.toString()
  })

/** The test server, in a fresh schema for each build. */
export const postgresTestDatabase = (url: string): TestDatabase =>
  Layer.unwrapScoped(
    Effect.map(freshSchema(url), (schemaUrl) => PostgresClient.layer({ url: schemaUrl, maxConnections: 8 })),
  )

/** `database` with every migration applied, and the Migrator. */
export const migrated = (database: TestDatabase) =>
  Layer.effectDiscard(Effect.flatMap(Migrator.Migrator, (migrator) => migrator.up)).pipe(
    Layer.provideMerge(Migrator.layer),
    Layer.provideMerge(database),
  )

/** The repository under test on a migrated, empty `database`. */
export const repositoryOn = (database: TestDatabase) =>
  PgUserRepository.layer.pipe(Layer.provideMerge(migrated(database)))

/** A migrated database with the Migrator, whose every build starts with every table empty. */
export type MigratedTestDatabase = Layer.Layer<
  Migrator.Migrator | PgClient.PgClient | SqlClient.SqlClient | PoolQuery,
  SqlError.SqlError | DataDirectoryUnavailable | MigrationError
>

// Every table of the schema but the migrations' own: the database as the migrations left it.
const emptyTables = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const tables = yield* sql<{ readonly name: string }>`SELECT quote_ident(tablename) AS name FROM pg_tables
    WHERE schemaname = current_schema() AND tablename <> 'userkit_migrations'`
  if (tables.length > 0) yield* sql.unsafe(`TRUNCATE ${tables.map(({ name }) => name).join(", ")} RESTART IDENTITY`)
})

/**
 * What `migrated(embeddedTestDatabase())` gives each test, with the migrations run once: one
 * in-memory engine for the whole test file, migrated in beforeAll, its tables emptied at each build.
 */
export const migratedEmbeddedDatabase = (): MigratedTestDatabase =>
  onePerFile(migrated(EmbeddedEngine.layer()), emptyTables)

class SchemaUrl extends Context.Tag("test/SchemaUrl")<SchemaUrl, string>() {}

/**
 * What `migrated(postgresTestDatabase(url))` gives each test, with the migrations run once: a schema
 * of the test file's own, migrated in beforeAll and dropped in afterAll; each build connects a new
 * pool to it and empties its tables.
 */
export const migratedPostgresDatabase = (url: string): MigratedTestDatabase => {
  const schema = ManagedRuntime.make(
    Layer.scoped(
      SchemaUrl,
      Effect.tap(freshSchema(url), (schemaUrl) =>
        Effect.scoped(Layer.build(migrated(PostgresClient.layer({ url: schemaUrl, maxConnections: 1 })))),
      ),
    ),
  )
  beforeAll(() => schema.runtime())
  afterAll(() => schema.dispose())
  return Layer.unwrapEffect(
    Effect.map(schema, ({ context }) =>
      Layer.effectDiscard(emptyTables).pipe(
        Layer.provideMerge(Migrator.layer),
        Layer.provideMerge(PostgresClient.layer({ url: Context.get(context, SchemaUrl), maxConnections: 8 })),
      ),
    ),
  )
}
