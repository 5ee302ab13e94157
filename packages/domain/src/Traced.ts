import { Effect, FiberRef } from "effect"

/**
 * A span named `name` around an effect where traces are kept (the fiber's tracer is on, Effect's
 * default), and nothing where they are not, decided each time from the fiber. `Effect.withSpan`
 * costs even with the tracer off: it captures a stack trace and puts a span in the fiber's context,
 * and each change of the context copies and compares every service in it, which in the app is the
 * whole domain (the three spans of `GET /auth/me` were a tenth of its CPU time, measured in its
 * profile). No stack trace is captured: taken here, it would show this function, not its caller.
 * An embedder who exports traces runs with the tracer on and gets every span.
 */
export const traced =
  (name: string, options?: { readonly attributes?: Readonly<Record<string, unknown>> }) =>
  <A, E, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(FiberRef.get(FiberRef.currentTracerEnabled), (enabled) =>
      enabled ? Effect.withSpan(self, name, { ...options, captureStackTrace: false }) : self,
    )
