import { SqlClient, SqlError } from "@effect/sql"
import { Transactions } from "@userkit/domain"
import { Duration, Effect, Layer, Option, Random } from "effect"
import { sqlDefect, TransactionConflict } from "./SqlFailure.js"

/** How often a transaction PostgreSQL rolled back to break a deadlock is run again. */
const CONFLICT_RETRIES = 3

/** `transaction` again, after a short random pause, while PostgreSQL rolls it back to break a deadlock. */
const retryingConflicts = <A, E, R>(
  transaction: Effect.Effect<A, E, R>,
  left = CONFLICT_RETRIES,
): Effect.Effect<A, E, R> =>
  Effect.catchSomeDefect(transaction, (defect) =>
    defect instanceof TransactionConflict && left > 0
      ? Option.some(
          Effect.zipRight(
            Effect.flatMap(Random.nextIntBetween(5, 50), (millis) => Effect.sleep(Duration.millis(millis))),
            retryingConflicts(transaction, left - 1),
          ),
        )
      : Option.none(),
  )

/** The block's own failure, told apart from the transaction's SqlError while it crosses `withTransaction`. */
class BlockFailure<E> {
  constructor(readonly error: E) {}
}

/**
 * Transactions as PostgreSQL's: `withTransaction` runs the block on one connection inside
 * BEGIN ... COMMIT, or as a savepoint inside an enclosing one, and rolls back (to the savepoint)
 * when the block fails, dies or is interrupted. The stores built on the same SqlClient run their
 * statements on that connection while inside. The block's failure comes out as it is; the
 * transaction's own failures (BEGIN, which it reports as an error, COMMIT or ROLLBACK, which it
 * makes defects) are defects as every store makes them: StoreUnavailable for a lost connection,
 * no SQL type in the error channel. An outermost transaction that PostgreSQL rolls back to break a
 * deadlock (two use cases locking an account's row and its tokens' in opposite orders) runs again,
 * up to three times: everything it did was undone, and nothing outside the store happens inside.
 */
export const make: Effect.Effect<Transactions["Type"], never, SqlClient.SqlClient> = Effect.map(
  SqlClient.SqlClient,
  (sql) =>
    Transactions.of({
      atomically: (effect) => {
        const transaction = sql.withTransaction(Effect.mapError(effect, (error) => new BlockFailure(error))).pipe(
          Effect.catchAll((failure) =>
            failure instanceof BlockFailure
              ? Effect.fail(failure.error)
              : sqlDefect("beginning a transaction")(failure),
          ),
          Effect.catchSomeDefect((defect) =>
            defect instanceof SqlError.SqlError
              ? Option.some(sqlDefect("ending a transaction")(defect))
              : Option.none(),
          ),
        )
        // Only the outermost is run again: a savepoint's conflict rolled back its whole transaction.
        return Effect.flatMap(Effect.serviceOption(SqlClient.TransactionConnection), (outer) =>
          Option.isSome(outer) ? transaction : retryingConflicts(transaction),
        )
      },
    }),
)

/** The Transactions port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const layer: Layer.Layer<Transactions, never, SqlClient.SqlClient> = Layer.effect(Transactions, make)
