import { Context, type Effect, Layer } from "effect"

/**
 * Runs a use case's writes as one unit: on a SQL store, one transaction (nested ones are
 * savepoints), so a change and the audit event that describes it commit together or not at all.
 * In memory, writes cannot fail half-way, and `sequential` runs the effect as it is: a write
 * that fails stops the ones after it, which is what the use cases rely on (the event is written
 * after the change). Keep work that waits on anything but the store (hashing, mail) outside.
 */
export class Transactions extends Context.Tag("userkit/Transactions")<
  Transactions,
  {
    readonly atomically: <A, E, R>(effect: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
  }
>() {
  /** For stores whose writes cannot fail half-way (memory): the effect as it is. */
  static readonly sequential: Layer.Layer<Transactions> = Layer.succeed(this, { atomically: (effect) => effect })
}
