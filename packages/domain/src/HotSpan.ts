import { Effect, FiberRef } from "effect"

/** What `hotSpan` gives: the span, or nothing, around an effect. */
export type SpanAround = <A, E, R>(self: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>

const untraced: SpanAround = (self) => self

/**
 * A span for what every request runs (token checks, the session lookup), decided once, when the
 * service is built: with the tracer on there, `Effect.withSpan` without a captured stack trace;
 * with it off, nothing. `withSpan` costs even with the tracer off: it puts a span in the fiber's
 * context, and each change of the context copies and compares every service in it, which in the
 * app is the whole domain (the three spans of `GET /auth/me` were a tenth of its CPU time,
 * measured in its profile). An embedder who exports traces builds with the tracer on (Effect's
 * default) and gets every span.
 */
export const hotSpan = (name: string): Effect.Effect<SpanAround> =>
  Effect.map(FiberRef.get(FiberRef.currentTracerEnabled), (enabled) =>
    enabled ? (self) => Effect.withSpan(self, name, { captureStackTrace: false }) : untraced,
  )
