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

/**
 * A statement sent straight to the pool: past sql-pg's statement layer (its span with attributes,
 * its scope, its transaction lookup), which costs about 70 µs of CPU per query here, as much as
 * the query itself (`GET /auth/me`'s join: `authenticate` at 255-261 µs per call through it,
 * 184-192 µs past it, measured in-process). For the one query every authenticated request makes.
 * It takes a connection of its own: never use it for what must see a transaction's writes.
 */
export class PoolQuery extends Context.Tag("userkit/postgres/PoolQuery")<
  PoolQuery,
  {
    /** The rows `text` with `values` selects; a driver error as a SqlError, as sql-pg reports it. */
    readonly rows: (
      text: string,
      values: ReadonlyArray<unknown>,
    ) => Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>
  }
>() {}

const CONNECT_TIMEOUT = Duration.seconds(5)

/** At most this many statements are prepared on a connection; any other runs unnamed, as it would without. */
export const MAX_PREPARED_STATEMENTS = 200

/**
 * A `pg` client class whose parameterized statements are prepared: each distinct text gets a name
 * (`userkit_1`, ...) the first time it runs, and each connection parses and plans it once, where an
 * unnamed statement is parsed and planned at every run. The join `GET /auth/me` runs cost
 * PostgreSQL 190-230 µs of CPU unnamed and 65-73 µs prepared, measured here; the statements come
 * from a fixed set of templates, and past `MAX_PREPARED_STATEMENTS` texts (a bound on what the
 * server holds per connection) the rest run unnamed. Only what sql-pg sends as text with values is
 * touched: transaction control, cursors and statements without values run as before.
 */
export const preparingClient = (): (new () => pg.Client) => {
  const names = new Map<string, string>()
  const nameOf = (text: string) => {
    const known = names.get(text)
    if (known !== undefined || names.size >= MAX_PREPARED_STATEMENTS) return known
    const name = `userkit_${names.size + 1}`
    names.set(text, name)
    return name
  }
  const plainQuery = pg.Client.prototype.query
  class PreparingClient extends pg.Client {}
  Object.defineProperty(PreparingClient.prototype, "query", {
    value: function query(this: pg.Client, ...args: Array<unknown>): unknown {
      const [text, values, callback] = args
      const name =
        typeof text === "string" && Array.isArray(values) && values.length > 0 && typeof callback === "function"
          ? nameOf(text)
          : undefined
      return Reflect.apply(plainQuery, this, name === undefined ? args : [{ name, text, values }, callback])
    },
  })
  return PreparingClient
}

/**
 * A PgClient (and SqlClient) over a `pg` pool this adapter owns, so that its use can be read
 * (`PoolStats`). The first connection is tried at build: an unreachable server fails the start.
 */
export const pooledClient = (
  config: pg.PoolConfig & { readonly max: number },
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | PoolStats | PoolQuery, SqlError.SqlError> =>
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
      const query = PoolQuery.of({
        rows: (text, values) =>
          Effect.async((resume) => {
            pool.query(text, [...values], (cause, result) =>
              resume(
                cause
                  ? Effect.fail(new SqlError.SqlError({ cause, message: "Failed to execute statement" }))
                  : Effect.succeed(result.rows),
              ),
            )
          }),
      })
      return Layer.mergeAll(
        PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: "userkit" }),
        Layer.succeed(PoolStats, stats),
        Layer.succeed(PoolQuery, query),
      )
    }),
  )
