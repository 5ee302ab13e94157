import { Context, Effect, Layer, Schema } from "effect"

/** Why the service cannot take traffic yet, e.g. "database unreachable". Shown to callers: keep it short and safe. */
export class NotReady extends Schema.TaggedError<NotReady>()("NotReady", { reason: Schema.String }) {}

/**
 * What `GET /ready` asks. The app provides it (database reachable, migrations current); the HTTP
 * adapter only turns a `NotReady` into a 503.
 */
export class ReadinessCheck extends Context.Tag("userkit/http/ReadinessCheck")<
  ReadinessCheck,
  { readonly check: Effect.Effect<void, NotReady> }
>() {}

/** For stores with nothing to wait for (in memory). */
export const alwaysReady: Layer.Layer<ReadinessCheck> = Layer.succeed(ReadinessCheck, { check: Effect.void })
