import type { SqlClient, SqlError } from "@effect/sql"
import { PgClient } from "@effect/sql-pg"
import { type Layer, Redacted } from "effect"

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
): Layer.Layer<PgClient.PgClient | SqlClient.SqlClient, SqlError.SqlError> =>
  PgClient.layer({
    url: Redacted.isRedacted(options.url) ? options.url : Redacted.make(options.url),
    maxConnections: options.maxConnections,
    applicationName: "userkit",
  })
