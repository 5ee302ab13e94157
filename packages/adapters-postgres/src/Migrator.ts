import { SqlClient, type SqlError } from "@effect/sql"
import { traced } from "@userkit/domain"
import { Context, Effect, Layer, Option, type ParseResult, Schema } from "effect"
import { type Migration, MigrationError, type MigrationStatus, migrations } from "./migrations/index.js"

export interface MigratorService {
  /** Applies every pending migration, each in its own transaction; returns those this call applied. */
  readonly up: Effect.Effect<ReadonlyArray<Migration>, MigrationError>
  /** Reverts the latest migration, or (with `to`) every one above version `to`; returns them, latest first. */
  readonly down: (options?: {
    readonly to?: number | undefined
  }) => Effect.Effect<ReadonlyArray<Migration>, MigrationError>
  readonly status: Effect.Effect<MigrationStatus, MigrationError>
}

// One fixed key for every userkit instance. Each step takes it with pg_advisory_xact_lock and
// only then reads what is applied, so concurrent `up`s apply each migration exactly once. The
// embedded engine has one connection, so its transactions run one after another anyway.
const LOCK_KEY = 7_535_170_001

const AppliedRow = Schema.Struct({
  version: Schema.Number,
  name: Schema.String,
  applied_at: Schema.DateTimeUtcFromDate,
})
const decodeApplied = Schema.decodeUnknown(Schema.Array(AppliedRow))

const describe = (error: SqlError.SqlError | ParseResult.ParseError | MigrationError): string =>
  error._tag === "SqlError" && error.cause instanceof Error ? error.cause.message : error.message

const failWith =
  (what: string) =>
  (error: SqlError.SqlError | ParseResult.ParseError | MigrationError): MigrationError =>
    error._tag === "MigrationError"
      ? error
      : new MigrationError({ message: `${what}: ${describe(error)}`, cause: error })

/** A migrator over `list` (the users store's migrations by default), on the ambient SqlClient. */
export const make = (
  list: ReadonlyArray<Migration> = migrations,
): Effect.Effect<MigratorService, never, SqlClient.SqlClient> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const known = [...list].sort((a, b) => a.version - b.version)

    const tableExists = Effect.map(
      sql<{ readonly present: boolean }>`SELECT to_regclass('userkit_migrations') IS NOT NULL AS present`,
      (rows) => rows[0]?.present === true,
    )
    const readApplied = sql`SELECT version, name, applied_at FROM userkit_migrations ORDER BY version`.pipe(
      Effect.flatMap(decodeApplied),
      Effect.map((rows) => rows.map((r) => ({ version: r.version, name: r.name, appliedAt: r.applied_at }))),
    )
    const appliedOrNone = Effect.flatMap(tableExists, (exists) => (exists ? readApplied : Effect.succeed([])))
    const lock = sql`SELECT pg_advisory_xact_lock(${LOCK_KEY})`

    const applyNext = sql.withTransaction(
      Effect.gen(function* () {
        yield* lock
        if (!(yield* tableExists)) {
          yield* sql`CREATE TABLE userkit_migrations (
            version integer PRIMARY KEY,
            name text NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now()
          )`
        }
        const applied = new Set((yield* readApplied).map((m) => m.version))
        const next = known.find((m) => !applied.has(m.version))
        if (next === undefined) return Option.none()
        yield* sql.unsafe(next.up).pipe(Effect.mapError(failWith(`migration ${next.version} (${next.name}) failed`)))
        yield* sql`INSERT INTO userkit_migrations (version, name) VALUES (${next.version}, ${next.name})`
        return Option.some(next)
      }),
    )

    const revertLatest = (floor: number) =>
      sql.withTransaction(
        Effect.gen(function* () {
          yield* lock
          const latest = (yield* appliedOrNone).at(-1)
          if (latest === undefined || latest.version <= floor) return Option.none()
          const migration = known.find((m) => m.version === latest.version)
          if (migration === undefined) {
            return yield* new MigrationError({
              message: `migration ${latest.version} (${latest.name}) is applied but unknown to this version; cannot revert it`,
            })
          }
          yield* sql
            .unsafe(migration.down)
            .pipe(Effect.mapError(failWith(`reverting migration ${migration.version} (${migration.name}) failed`)))
          yield* sql`DELETE FROM userkit_migrations WHERE version = ${migration.version}`
          return Option.some(migration)
        }),
      )

    /** Runs `step` until it has nothing left to do; collects what it did. */
    const repeat = (step: Effect.Effect<Option.Option<Migration>, MigrationError>, once: boolean) =>
      Effect.gen(function* () {
        const done: Array<Migration> = []
        for (;;) {
          const result = yield* step
          if (Option.isNone(result)) return done
          done.push(result.value)
          if (once) return done
        }
      })

    return {
      up: repeat(Effect.mapError(applyNext, failWith("migrating up failed")), false).pipe(traced("Migrator.up")),
      down: (options = {}) =>
        repeat(
          Effect.mapError(revertLatest(options.to ?? Number.NEGATIVE_INFINITY), failWith("migrating down failed")),
          options.to === undefined,
        ).pipe(traced("Migrator.down")),
      status: Effect.gen(function* () {
        const applied = yield* appliedOrNone
        const versions = new Set(applied.map((m) => m.version))
        const pending = known.filter((m) => !versions.has(m.version))
        return { applied, pending, current: pending.length === 0 }
      }).pipe(Effect.mapError(failWith("reading migration status failed")), traced("Migrator.status")),
    }
  })

/** Migrations of the users store, up and down, on the ambient SqlClient. */
export class Migrator extends Context.Tag("userkit/postgres/Migrator")<Migrator, MigratorService>() {}

/** The migrator of the users store's migrations. */
export const layer: Layer.Layer<Migrator, never, SqlClient.SqlClient> = Layer.effect(Migrator, make())
