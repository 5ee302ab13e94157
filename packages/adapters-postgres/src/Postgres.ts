import type { SqlClient, SqlError } from "@effect/sql"
import type { PgClient } from "@effect/sql-pg"
import { type Layer, Redacted } from "effect"
import { type PoolStats, pooledClient } from "./ConnectionPool.js"

// pg's own default.
const DEFAULT_POOL_SIZE = 10

export interface PostgresOptions {
  /** postgres://user:password@host:port/database; `?options=-c search_path=...` is passed on. */
  readonly url: string | Redacted.Redacted<string>
  /** Size of the connection pool; pg's default (10) when absent. */
  readonly maxConnections?: number | undefined
}

/**
 * A PgClient (and SqlClient) on a PostgreSQL server. Same type as `EmbeddedEngine.layer`, so the
 * app picks either from its config and everything above runs unchanged.
 */
export const postgresLayer = (
  options: PostgresOptions,
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient | PoolStats, SqlError.SqlError> =>
  pooledClient({
    connectionString: Redacted.isRedacted(options.url) ? Redacted.value(options.url) : options.url,
    max: options.maxConnections ?? DEFAULT_POOL_SIZE,
  })
