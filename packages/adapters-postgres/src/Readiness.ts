import { SqlClient } from "@effect/sql"
import { traced } from "@userkit/domain"
import { Duration, Effect } from "effect"
import { Migrator } from "./Migrator.js"

export interface Readiness {
  /** The database answers and every migration is applied. */
  readonly ready: boolean
  readonly database: boolean
  readonly migrationsCurrent: boolean
}

/**
 * Readiness for `GET /ready`: `SELECT 1`, then the migration status. Never fails; a check that
 * errors or takes longer than `timeout` (1 second by default, what orchestrators' probes allow)
 * counts as not ready, so a database that stopped answering is reported in a second, not after
 * the pool's connect timeout.
 */
export const checkReadiness = (
  options: { readonly timeout?: Duration.DurationInput | undefined } = {},
): Effect.Effect<Readiness, never, SqlClient.SqlClient | Migrator> =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const migrator = yield* Migrator
    const check = <E>(probe: Effect.Effect<boolean, E>) =>
      probe.pipe(
        Effect.timeout(options.timeout ?? Duration.seconds(1)),
        Effect.orElseSucceed(() => false),
      )
    const database = yield* check(Effect.as(sql`SELECT 1`, true))
    const migrationsCurrent = database && (yield* check(Effect.map(migrator.status, (s) => s.current)))
    return { ready: database && migrationsCurrent, database, migrationsCurrent }
  }).pipe(traced("Postgres.checkReadiness"))
