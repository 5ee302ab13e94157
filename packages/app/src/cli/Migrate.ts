import { Command, Options } from "@effect/cli"
import {
  EmbeddedEngine,
  type Migration,
  type MigrationError,
  Migrator,
  PostgresClient,
} from "@userkit/adapters-postgres"
import { Console, DateTime, Effect, Layer, Option } from "effect"
import type { StoreChoice } from "../Config.js"
import { CliFailure, databaseFailure, ExitCode, loadConfig } from "./CliFailure.js"

// The SQL client and the migrator only: unlike the server's storeLayer, nothing migrates while it builds.
const migratorLayer = (store: StoreChoice) => {
  switch (store.kind) {
    case "memory":
      return Effect.fail(
        new CliFailure({
          reason: "USERKIT_STORE=memory keeps nothing in a database: there is nothing to migrate",
          code: ExitCode.usage,
        }),
      )
    case "postgres":
      return Effect.succeed(Migrator.layer.pipe(Layer.provide(PostgresClient.layer({ url: store.url }))))
    case "embedded":
      return Effect.succeed(Migrator.layer.pipe(Layer.provide(EmbeddedEngine.layer({ dataDir: store.dataDir }))))
  }
}

const withMigrator = (use: (migrator: Migrator.MigratorService) => Effect.Effect<void, MigrationError | CliFailure>) =>
  Effect.gen(function* () {
    const { store } = yield* loadConfig
    const layer = yield* migratorLayer(store)
    yield* Effect.flatMap(Migrator.Migrator, use).pipe(
      Effect.provide(layer),
      Effect.mapError((error) => (error._tag === "CliFailure" ? error : databaseFailure(store)(error))),
    )
  })

const label = (migration: { readonly version: number; readonly name: string }) =>
  `${String(migration.version).padStart(4, "0")} ${migration.name}`

const printEach = (verb: string, done: ReadonlyArray<Migration>) =>
  Effect.forEach(done, (migration) => Console.log(`${verb} ${label(migration)}`), { discard: true })

const up = Command.make("up", {}, () =>
  withMigrator((migrator) =>
    Effect.flatMap(migrator.up, (applied) =>
      applied.length === 0 ? Console.log("already current: no migration to apply") : printEach("applied", applied),
    ),
  ),
).pipe(Command.withDescription("Apply every pending migration, in version order."))

const to = Options.integer("to").pipe(
  Options.withPseudoName("N"),
  Options.withDescription("Revert every applied migration above version N (0: all of them), not only the latest."),
  Options.optional,
)

const down = Command.make("down", { to }, ({ to }) =>
  withMigrator((migrator) =>
    Effect.flatMap(migrator.down({ to: Option.getOrUndefined(to) }), (reverted) =>
      reverted.length === 0 ? Console.log("nothing to revert") : printEach("reverted", reverted),
    ),
  ),
).pipe(Command.withDescription("Revert the latest applied migration, or with --to N every one above version N."))

const status = Command.make("status", {}, () =>
  withMigrator((migrator) =>
    Effect.gen(function* () {
      const { applied, pending } = yield* migrator.status
      yield* Console.log(applied.length === 0 ? "applied: none" : "applied:")
      for (const m of applied) yield* Console.log(`  ${label(m)}  ${DateTime.formatIso(m.appliedAt)}`)
      yield* Console.log(pending.length === 0 ? "pending: none" : "pending:")
      for (const m of pending) yield* Console.log(`  ${label(m)}`)
      if (pending.length === 0) return yield* Console.log("the database is current")
      return yield* new CliFailure({
        reason: `${pending.length} migration(s) pending: run \`userkit migrate up\``,
        code: ExitCode.failure,
      })
    }),
  ),
).pipe(Command.withDescription("Show applied and pending migrations; exit 0 when current, 1 when some are pending."))

/** `userkit migrate up|down|status`, on the database the server's configuration names. */
export const migrate = Command.make("migrate", {}, () =>
  Effect.fail(new CliFailure({ reason: "missing subcommand: userkit migrate up|down|status", code: ExitCode.usage })),
).pipe(
  Command.withDescription("Apply, revert or inspect the database migrations (the server applies them at start)."),
  Command.withSubcommands([up, down, status]),
)
