import * as Path from "node:path"
import { type SqlClient, SqlError } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { PGlite } from "@electric-sql/pglite"
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm"
import { createPgConfig } from "@electric-sql/pglite/node-postgres"
import { Effect, Layer } from "effect"
import { type PoolQuery, type PoolStats, pooledClient } from "./ConnectionPool.js"
import { type DataDirectoryUnavailable, lockDataDirectory } from "./DataDirectoryLock.js"

export interface Options {
  /** Where PGlite keeps its files (created if missing). In memory, nothing persisting, when absent. */
  readonly dataDir?: string | undefined
}

// A query waits this long for the one connection (behind a transaction, or a queue under load)
// before it fails as an unavailable store; also what turns a deadlock into an answer.
const CONNECTION_WAIT_MS = 10_000

const openDatabase = (dataDir: string | undefined) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      // Extensions are compiled into PGlite as modules, loaded here; the migrations then create them.
      try: () => PGlite.create(dataDir === undefined ? undefined : Path.resolve(dataDir), { extensions: { pg_trgm } }),
      catch: (cause) =>
        new SqlError.SqlError({
          cause,
          message: `EmbeddedEngine: cannot open the database${dataDir === undefined ? "" : ` in ${dataDir}`}`,
        }),
    }),
    // close() flushes and releases the data directory so that it opens again later.
    (db) => Effect.promise(() => db.close()),
  )

/**
 * The embedded PostgreSQL: PGlite (PostgreSQL compiled to WASM) in this process, reached by the
 * very same `pg` driver, PgClient, repositories and migrations as a server, with no server
 * installed. PGlite is ONE PostgreSQL session: it has one unnamed statement, one unnamed portal
 * and one transaction state. So it gets exactly one connection, not a configurable pool: a
 * transaction holds it and every other query waits at the pool. Two connections would share
 * that one session, and one's Bind could land between another's Parse and Execute (answering one
 * request with another's rows, which pglite-socket's per-message queue did under load).
 * Closing the layer's scope ends the pool, then closes PGlite.
 */
export const layer = (
  options: Options = {},
): Layer.Layer<
  PgClient.PgClient | SqlClient.SqlClient | PoolStats | PoolQuery,
  SqlError.SqlError | DataDirectoryUnavailable
> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      if (options.dataDir !== undefined) yield* lockDataDirectory(options.dataDir)
      const db = yield* openDatabase(options.dataDir)
      return pooledClient(
        {
          ...createPgConfig(db),
          max: 1,
          // The in-process connection object is shared by every client the pool makes: keep the one.
          idleTimeoutMillis: 0,
          connectionTimeoutMillis: CONNECTION_WAIT_MS,
        },
        // Its one session outlives any connection object the pool would replace: nothing named.
        { preparedStatements: false },
      )
    }),
  )
