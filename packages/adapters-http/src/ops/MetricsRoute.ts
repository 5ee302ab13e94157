import { HttpApiBuilder, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import { HttpMetrics } from "../edge/HttpMetrics.js"

export const path = "/metrics"

/** `GET /metrics` for a Prometheus scraper: outside the API contract, so absent from the OpenAPI document. */
export const layer = HttpApiBuilder.Router.use((router) =>
  Effect.gen(function* () {
    const metrics = yield* HttpMetrics
    yield* router.get(
      path,
      Effect.map(metrics.scrape, ({ contentType, text }) => HttpServerResponse.text(text, { contentType })),
    )
  }),
)
