import type { SqlClient } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { ReadinessCheck } from "@userkit/adapters-http"
import {
  MemoryAccountTokenStore,
  MemoryAuditLog,
  MemorySessionStore,
  MemorySigningKeyStore,
  MemoryUserRepository,
} from "@userkit/adapters-memory"
import {
  checkReadiness,
  EmbeddedEngine,
  Migrator,
  PgAccountTokenStore,
  PgAuditLog,
  PgSessionOwners,
  PgSessionStore,
  PgSigningKeyStore,
  PgTransactions,
  PgUserRepository,
  type PoolQuery,
  type PoolStats,
  PostgresClient,
} from "@userkit/adapters-postgres"
import { Transactions } from "@userkit/domain"
import { Effect, Layer } from "effect"
import type { StoreChoice } from "./Config.js"

const readinessOfDatabase = Layer.effect(
  ReadinessCheck.ReadinessCheck,
  Effect.map(Effect.context<SqlClient.SqlClient | Migrator.Migrator>(), (context) =>
    ReadinessCheck.ReadinessCheck.of({
      check: checkReadiness().pipe(
        Effect.provide(context),
        Effect.flatMap((readiness) =>
          readiness.ready
            ? Effect.void
            : new ReadinessCheck.NotReady({
                reason: readiness.database ? "database migrations are not current" : "database unreachable",
              }),
        ),
      ),
    }),
  ),
)

// Migrations run while the layer builds, before the HTTP server opens its port.
const migrateAtStart = Layer.effectDiscard(
  Effect.gen(function* () {
    const applied = yield* (yield* Migrator.Migrator).up
    if (applied.length > 0) yield* Effect.logInfo(`applied migrations: ${applied.map((m) => m.name).join(", ")}`)
  }),
)

/** A SQL-backed store: repositories and readiness over `client`, migrated while it builds. */
export const sqlStore = <E>(client: Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | PoolStats | PoolQuery, E>) =>
  Layer.mergeAll(
    PgUserRepository.layer,
    PgSessionStore.layer,
    PgSessionOwners.layer,
    PgSigningKeyStore.layer,
    PgAuditLog.layer,
    PgAccountTokenStore.layer,
    PgTransactions.layer,
    readinessOfDatabase,
  ).pipe(
    Layer.provideMerge(migrateAtStart),
    Layer.provideMerge(Migrator.layer),
    // The pool's use stays visible, for /metrics.
    Layer.provideMerge(client),
  )

/** The store chosen by configuration: memory, a PostgreSQL server, or the embedded engine under DATA_DIR. */
export const storeLayer = (store: StoreChoice) => {
  switch (store.kind) {
    case "memory":
      return Layer.mergeAll(
        MemorySessionStore.layer,
        MemorySigningKeyStore.layer,
        MemoryAuditLog.layer,
        MemoryAccountTokenStore.layer,
        Transactions.sequential,
        ReadinessCheck.alwaysReady,
      ).pipe(Layer.provideMerge(MemoryUserRepository.layer))
    case "postgres":
      return sqlStore(PostgresClient.layer({ url: store.url, preparedStatements: store.preparedStatements }))
    case "embedded":
      return sqlStore(EmbeddedEngine.layer({ dataDir: store.dataDir }))
  }
}
