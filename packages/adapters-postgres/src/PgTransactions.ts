import { SqlClient, SqlError } from "@effect/sql"
import { Transactions } from "@userkit/domain"
import { Effect, Layer, Option } from "effect"
import { sqlDefect } from "./SqlFailure.js"

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
 * no SQL type in the error channel.
 */
export const make: Effect.Effect<Transactions["Type"], never, SqlClient.SqlClient> = Effect.map(
  SqlClient.SqlClient,
  (sql) =>
    Transactions.of({
      atomically: (effect) =>
        sql.withTransaction(Effect.mapError(effect, (error) => new BlockFailure(error))).pipe(
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
        ),
    }),
)

/** The Transactions port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const layer: Layer.Layer<Transactions, never, SqlClient.SqlClient> = Layer.effect(Transactions, make)
