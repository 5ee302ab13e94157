import type { SqlClient, SqlError } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { Duration, type Layer, Redacted } from "effect"
import { type PoolQuery, type PoolStats, pooledClient } from "./ConnectionPool.js"

// pg's own default.
const DEFAULT_POOL_SIZE = 10
const DEFAULT_CONNECT_TIMEOUT = Duration.seconds(3)

export interface Options {
  /** postgres://user:password@host:port/database; `?options=-c search_path=...` is passed on. */
  readonly url: string | Redacted.Redacted<string>
  /** Size of the connection pool; pg's default (10) when absent. */
  readonly maxConnections?: number | undefined
  /**
   * How long a query waits for a connection, opening one included, before it fails (and the
   * request gets a 503); 3 seconds when absent. pg's default is to wait forever.
   */
  readonly connectTimeout?: Duration.DurationInput | undefined
  /**
   * Prepare the per-request statement on each connection (see `PoolQuery`); default true. Off for
   * a pooler that cannot keep prepared statements per client: PgBouncer in transaction mode
   * without `max_prepared_statements` (0 by default before 1.24), and likewise RDS Proxy,
   * Supavisor or pgcat unless set up for them.
   */
  readonly preparedStatements?: boolean | undefined
}

/**
 * A PgClient (and SqlClient) on a PostgreSQL server. Same type as `EmbeddedEngine.layer`, so the
 * app picks either from its config and everything above runs unchanged.
 */
export const layer = (
  options: Options,
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | PoolStats | PoolQuery, SqlError.SqlError> =>
  pooledClient(
    {
      connectionString: Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url,
      max: options.maxConnections ?? DEFAULT_POOL_SIZE,
      // A server that stops answering (a failover, a dropped route) fails a query in seconds, not
      // after the operating system's minutes of retries.
      connectionTimeoutMillis: Duration.toMillis(options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT),
      // TCP keepalive finds a connection whose peer vanished without closing it; the pool then drops
      // it and the next query opens a fresh one.
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      // Idle connections are closed after this, so none lingers long enough to be cut silently.
      idleTimeoutMillis: 30_000,
    },
    { preparedStatements: options.preparedStatements !== false },
  )
