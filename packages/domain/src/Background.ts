import { Cause, Context, Effect, FiberSet, Layer } from "effect"

/**
 * Work that outlives the request that started it (mail to send, a lookup whose time must not show
 * in the answer). It runs in the layer's scope, so a test or a shutdown that closes the layer
 * interrupts what is still running; a failure is logged, never answered.
 */
export class Background extends Context.Tag("userkit/Background")<
  Background,
  {
    /** Starts `effect` and returns at once. `what` names it in the log line a failure writes. */
    readonly run: <E>(what: string, effect: Effect.Effect<void, E>) => Effect.Effect<void>
  }
>() {
  static readonly layer: Layer.Layer<Background> = Layer.scoped(
    this,
    Effect.map(FiberSet.make(), (fibers) => ({
      run: (what, effect) =>
        FiberSet.run(
          fibers,
          Effect.catchAllCause(effect, (cause) =>
            Cause.isInterruptedOnly(cause) ? Effect.void : Effect.logError(`${what} failed`, cause),
          ),
        ).pipe(Effect.asVoid),
    })),
  )
}
