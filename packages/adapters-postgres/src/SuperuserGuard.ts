import type { SqlClient, SqlError } from "@effect/sql"
import { LastActiveSuperuser, type UserId, UserNotFound } from "@userkit/domain"
import { Effect, Option, Schema } from "effect"

/**
 * A write of one user, `id = ...`; when `onlyWithoutStanding`, of that user only if it is not an
 * active superuser. Answers what it wrote, or none when it changed no row.
 */
export type TargetedWrite<A, E> = (
  onlyWithoutStanding: boolean,
) => Effect.Effect<Option.Option<A>, E | SqlError.SqlError>

/** The WHERE of a targeted write. */
export const targetRow = (sql: SqlClient.SqlClient, id: UserId, onlyWithoutStanding: boolean) =>
  sql.and([sql`id = ${id}`, ...(onlyWithoutStanding ? [sql.literal("NOT (is_superuser AND is_active)")] : [])])

const decodeLocked = Schema.decodeUnknown(
  Schema.Array(Schema.Struct({ target: Schema.Boolean, standing: Schema.Boolean })),
)

/**
 * Runs `write`, which may end the standing (active superuser) of user `id`, unless that would leave
 * no active superuser. Why it holds under concurrency (READ COMMITTED):
 * - First `write(true)`, one statement that only touches a row without standing. After waiting on
 *   a row lock, PostgreSQL re-checks the WHERE on the row's latest version, so it never ends a
 *   standing. Writes to plain users take no other lock.
 * - Else one transaction locks every active superuser and the target, in id order, then decides,
 *   then writes. A locked row is current (a row that stopped matching while we waited is skipped)
 *   and stays so until we commit; so when another active superuser is locked, one remains. Two
 *   such transactions lock in the same order: the second waits, then sees what the first did. A
 *   superuser promoted after our snapshot goes unseen: that can refuse a write, never allow one.
 * The embedded engine has one connection, so there the same steps simply run one at a time.
 */
export const keepingAnActiveSuperuser = <A, E>(
  sql: SqlClient.SqlClient,
  id: UserId,
  write: TargetedWrite<A, E>,
): Effect.Effect<A, E | UserNotFound | LastActiveSuperuser | SqlError.SqlError> =>
  Effect.flatMap(write(true), (done) =>
    Option.isSome(done)
      ? Effect.succeed(done.value)
      : sql.withTransaction(
          Effect.gen(function* () {
            const locked = yield* sql`SELECT id = ${id} AS target, is_superuser AND is_active AS standing
              FROM users WHERE (is_superuser AND is_active) OR id = ${id} ORDER BY id FOR UPDATE`.pipe(
              Effect.flatMap((rows) => Effect.orDie(decodeLocked(rows))),
            )
            const target = locked.find((row) => row.target)
            if (target === undefined) return yield* new UserNotFound()
            if (target.standing && !locked.some((row) => row.standing && !row.target)) {
              return yield* new LastActiveSuperuser()
            }
            const written = yield* write(false)
            if (Option.isNone(written)) return yield* Effect.dieMessage("a locked row was not written")
            return written.value
          }),
        ),
  )
