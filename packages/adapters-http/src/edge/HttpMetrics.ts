import { Context, Effect, Layer } from "effect"
import { Counter, Gauge, Histogram, Registry } from "prom-client"

/** A value the app reports beside the HTTP metrics (the database pool, say), read at each scrape. */
export interface MetricsGauge {
  /** A Prometheus metric name, e.g. `userkit_db_pool_connections_in_use`. */
  readonly name: string
  readonly help: string
  readonly read: Effect.Effect<number>
}

export type LoginOutcome = "success" | "failure"

/** Where the adapter records what it serves; `/metrics` shows it in the Prometheus text format. */
export class HttpMetrics extends Context.Tag("userkit/http/HttpMetrics")<
  HttpMetrics,
  {
    /** Counts one answered request, at once (the direct routes count outside any fiber). */
    readonly recordRequest: (method: string, route: string, status: number, seconds: number) => void
    readonly recordLogin: (outcome: LoginOutcome) => Effect.Effect<void>
    /** The exposition: its content type and text. */
    readonly scrape: Effect.Effect<{ readonly contentType: string; readonly text: string }>
  }
>() {}

/** Metrics off: nothing is recorded, and nothing serves `/metrics`. */
export const disabled: Layer.Layer<HttpMetrics> = Layer.succeed(HttpMetrics, {
  recordRequest: () => {},
  recordLogin: () => Effect.void,
  scrape: Effect.succeed({ contentType: "text/plain", text: "" }),
})

/** A registry of this app's own (not prom-client's global one), so two apps in a process count apart. */
export const layer = (gauges: ReadonlyArray<MetricsGauge>): Layer.Layer<HttpMetrics> =>
  Layer.effect(
    HttpMetrics,
    Effect.gen(function* () {
      const registry = new Registry()
      const registers = [registry]
      const labelNames = ["method", "route", "status"] as const
      const requests = new Counter({
        name: "userkit_http_requests_total",
        help: "HTTP requests answered",
        labelNames,
        registers,
      })
      const durations = new Histogram({
        name: "userkit_http_request_duration_seconds",
        help: "Time to answer an HTTP request, in seconds",
        labelNames,
        registers,
      })
      const logins = new Counter({
        name: "userkit_logins_total",
        help: "Login attempts by outcome (failure: wrong login or password, or an inactive account)",
        labelNames: ["outcome"] as const,
        registers,
      })
      for (const outcome of ["success", "failure"]) logins.inc({ outcome }, 0)
      const extra = yield* Effect.forEach(gauges, (gauge) =>
        Effect.try({
          try: () => ({ read: gauge.read, gauge: new Gauge({ name: gauge.name, help: gauge.help, registers }) }),
          catch: (error) => `metrics gauge "${gauge.name}" cannot be registered: ${String(error)}`,
        }).pipe(Effect.orDieWith((message) => new Error(message))),
      )
      return {
        recordRequest: (method, route, status, seconds) => {
          const labels = { method, route, status: String(status) }
          requests.inc(labels)
          durations.observe(labels, seconds)
        },
        recordLogin: (outcome) => Effect.sync(() => logins.inc({ outcome })),
        scrape: Effect.gen(function* () {
          for (const { read, gauge } of extra) gauge.set(yield* read)
          const text = yield* Effect.promise(() => registry.metrics())
          return { contentType: registry.contentType, text }
        }),
      }
    }),
  )
