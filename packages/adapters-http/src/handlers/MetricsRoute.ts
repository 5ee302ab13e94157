import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { HttpMetrics } from "../Metrics.js"

export const METRICS_PATH = "/metrics"

/** `GET /metrics` for a Prometheus scraper: outside the API contract, so absent from the OpenAPI document. */
export const MetricsRoute = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const metrics = yield* HttpMetrics
    yield* router.get(
      METRICS_PATH,
      Effect.map(metrics.scrape, ({ contentType, text }) => HttpServerResponse.text(text, { contentType })),
    )
  }),
)
