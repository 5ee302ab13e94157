import * as Fs from "node:fs/promises"
import * as Os from "node:os"
import * as Path from "node:path"
import { type SqlClient, SqlError } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { PGlite } from "@electric-sql/pglite"
import { pg_trgm } from "@electric-sql/pglite/contrib/pg_trgm"
import { PGLiteSocketServer } from "@electric-sql/pglite-socket"
import { Effect, Layer } from "effect"
import { type PoolStats, pooledClient } from "./ConnectionPool.js"
import { lockDataDirectory } from "./DataDirectoryLock.js"

export interface EmbeddedEngineOptions {
  /** Where PGlite keeps its files (created if missing). In memory, nothing persisting, when absent. */
  readonly dataDir?: string | undefined
  /** Size of the connection pool; 4 by default. */
  readonly maxConnections?: number | undefined
}

// PGlite executes one statement at a time and pglite-socket never interleaves two transactions,
// so more connections add no throughput. A few (not one) keep the pool working as it does on a
// server: a transaction pins its own connection and other queries queue at the engine.
const DEFAULT_POOL_SIZE = 4
// The socket is a file `.s.PGSQL.<port>` in a private directory; pg takes the directory as `host`.
const SOCKET_PORT = 5432

const failure = (message: string) => (cause: unknown) => new SqlError.SqlError({ cause, message })

const socketDirectory = Effect.acquireRelease(
  Effect.tryPromise({
    try: () => Fs.mkdtemp(Path.join(Os.tmpdir(), "userkit-pglite-")),
    catch: failure("EmbeddedEngine: cannot create the socket directory"),
  }),
  (dir) => Effect.promise(() => Fs.rm(dir, { recursive: true, force: true })),
)

const openDatabase = (dataDir: string | undefined) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      // Extensions are compiled into PGlite as modules, loaded here; the migrations then create them.
      try: () => PGlite.create(dataDir === undefined ? undefined : Path.resolve(dataDir), { extensions: { pg_trgm } }),
      catch: failure(`EmbeddedEngine: cannot open the database${dataDir === undefined ? "" : ` in ${dataDir}`}`),
    }),
    // close() flushes and releases the data directory so that it opens again later.
    (db) => Effect.promise(() => db.close()),
  )

const serve = (db: PGlite, socketDir: string, connections: number) =>
  Effect.acquireRelease(
    Effect.tryPromise({
      try: async () => {
        // A Unix socket in a 0700 directory: PGlite checks no password, so no TCP port for
        // other local users. Two spare slots: a closed client frees its slot a tick late.
        const server = new PGLiteSocketServer({
          db,
          path: Path.join(socketDir, `.s.PGSQL.${SOCKET_PORT}`),
          maxConnections: connections + 2,
        })
        await server.start()
        return server
      },
      catch: failure("EmbeddedEngine: cannot start the socket server"),
    }),
    (server) => Effect.promise(() => server.stop()),
  )

/**
 * The embedded PostgreSQL: PGlite (PostgreSQL compiled to WASM) served on a private Unix socket,
 * so the very same PgClient, repositories and migrations run with no server installed. Closing
 * the layer's scope ends the pool, stops the server and closes PGlite, in that order.
 */
export const EmbeddedEngine = {
  layer: (
    options: EmbeddedEngineOptions = {},
  ): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | PoolStats, SqlError.SqlError> =>
    Layer.unwrapScoped(
      Effect.gen(function* () {
        const connections = options.maxConnections ?? DEFAULT_POOL_SIZE
        const socketDir = yield* socketDirectory
        if (options.dataDir !== undefined) yield* lockDataDirectory(options.dataDir)
        const db = yield* openDatabase(options.dataDir)
        yield* serve(db, socketDir, connections)
        return pooledClient({
          host: socketDir,
          port: SOCKET_PORT,
          user: "postgres",
          database: "postgres",
          max: connections,
        })
      }),
    ),
} as const
