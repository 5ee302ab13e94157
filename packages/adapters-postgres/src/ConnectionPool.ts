import { type SqlClient, SqlError } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { Context, Duration, Effect, Layer } from "effect"
import pg from "pg"

/** How the connection pool is used right now, for `/metrics`. */
export interface PoolUse {
  readonly max: number
  /** Connections open, idle or busy. */
  readonly open: number
  readonly idle: number
  /** Queries waiting for a connection. */
  readonly waiting: number
}

export class PoolStats extends Context.Tag("userkit/postgres/PoolStats")<
  PoolStats,
  { readonly read: Effect.Effect<PoolUse> }
>() {}

const CONNECT_TIMEOUT = Duration.seconds(5)

/**
 * A PgClient (and SqlClient) over a `pg` pool this adapter owns, so that its use can be read
 * (`PoolStats`). The first connection is tried at build: an unreachable server fails the start.
 */
export const pooledClient = (
  config: pg.PoolConfig & { readonly max: number },
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | PoolStats, SqlError.SqlError> =>
  Layer.unwrapScoped(
    Effect.gen(function* () {
      const pool = yield* Effect.acquireRelease(
        Effect.sync(() => {
          const created = new pg.Pool({ application_name: "userkit", ...config })
          // A broken idle connection is dropped by the pool; the next query opens another.
          created.on("error", () => {})
          return created
        }),
        (pool) => Effect.promise(() => pool.end()).pipe(Effect.timeoutOption("2 seconds")),
      )
      yield* Effect.tryPromise({
        try: () => pool.query("SELECT 1"),
        catch: (cause) => new SqlError.SqlError({ cause, message: "PgClient: Failed to connect" }),
      }).pipe(
        Effect.timeoutFail({
          duration: CONNECT_TIMEOUT,
          onTimeout: () =>
            new SqlError.SqlError({ cause: new Error("timed out"), message: "PgClient: Connection timed out" }),
        }),
      )
      const stats = PoolStats.of({
        read: Effect.sync(() => ({
          max: config.max,
          open: pool.totalCount,
          idle: pool.idleCount,
          waiting: pool.waitingCount,
        })),
      })
      return Layer.merge(
        PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: "userkit" }),
        Layer.succeed(PoolStats, stats),
      )
    }),
  )
