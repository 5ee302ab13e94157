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
 * 184-206 µs past it, measured in-process). For the one query every authenticated request makes.
 * It takes a connection of its own: never use it for what must see a transaction's writes.
 *
 * Where the pool prepares statements (a PostgreSQL server, unless turned off), each text is
 * prepared once per connection under a name of its own: the session join cost PostgreSQL 190-230
 * µs of CPU unnamed and 65-73 µs prepared, measured here. A prepared statement PostgreSQL no longer
 * takes (a column's type changed under it by another instance's migration: 0A000; a pooler that
 * lost it: 26000, 42P05) ends that connection, and the statement runs once more unnamed.
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

/** The SQLSTATEs of a named statement the session cannot run as it was prepared. */
const stalePreparedState = /^(0A000|26000|42P05)$/

const sqlErrorOf = (cause: unknown) => new SqlError.SqlError({ cause, message: "Failed to execute statement" })

/**
 * One statement on a connection of the pool, taken and given back as sql-pg does: the connection
 * is ended only when it broke (an `error` event) or, given `endWhen`, when the statement's error
 * says so. A failed statement leaves it in the pool, so the embedded engine's one session (which
 * every connection object shares) is never cut by a query's error.
 */
const onConnection = (
  pool: pg.Pool,
  query: pg.QueryConfig<Array<unknown>>,
  endWhen: (cause: Error) => boolean = () => false,
) =>
  Effect.async<ReadonlyArray<unknown>, Error>((resume) => {
    pool.connect((connectError, client, release) => {
      if (connectError !== undefined || client === undefined) {
        resume(Effect.fail(connectError ?? new Error("no connection was given")))
        return
      }
      let done = false
      const finish = (cause: Error | undefined, rows: ReadonlyArray<unknown>, end: boolean) => {
        if (done) return
        done = true
        client.off("error", broke)
        release(end ? cause : undefined)
        resume(cause === undefined ? Effect.succeed(rows) : Effect.fail(cause))
      }
      const broke = (cause: Error) => finish(cause, [], true)
      client.once("error", broke)
      client.query(query, (cause, result) =>
        cause === undefined || cause === null
          ? finish(undefined, result.rows, false)
          : finish(cause, [], endWhen(cause)),
      )
    })
  })

const CONNECT_TIMEOUT = Duration.seconds(5)

const isStalePrepared = (cause: Error) => {
  const code: unknown = Reflect.get(cause, "code")
  return typeof code === "string" && stalePreparedState.test(code)
}

const poolQuery = (pool: pg.Pool, prepare: boolean): PoolQuery["Type"] => {
  const names = new Map<string, string>()
  const nameOf = (text: string) => {
    const known = names.get(text)
    if (known !== undefined) return known
    const name = `userkit_${names.size + 1}`
    names.set(text, name)
    return name
  }
  return PoolQuery.of({
    rows: (text, values) => {
      const unnamed = onConnection(pool, { text, values: [...values] })
      const run = prepare
        ? onConnection(pool, { name: nameOf(text), text, values: [...values] }, isStalePrepared).pipe(
            Effect.catchIf(isStalePrepared, () => unnamed),
          )
        : unnamed
      return Effect.mapError(run, sqlErrorOf)
    },
  })
}

/**
 * A PgClient (and SqlClient) over a `pg` pool this adapter owns, so that its use can be read
 * (`PoolStats`). The first connection is tried at build: an unreachable server fails the start.
 */
export const pooledClient = (
  config: pg.PoolConfig & { readonly max: number },
  options: { readonly preparedStatements: boolean },
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
      return Layer.mergeAll(
        PgClient.layerFromPool({ acquire: Effect.succeed(pool), applicationName: "userkit" }),
        Layer.succeed(PoolStats, stats),
        Layer.succeed(PoolQuery, poolQuery(pool, options.preparedStatements)),
      )
    }),
  )
