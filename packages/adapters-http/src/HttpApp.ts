import { HttpApiBuilder, HttpRouter, type HttpServer } from "@effect/platform"
import type { Accounts, Administration, Directory, OwnAccount } from "@userkit/domain"
import { Effect, Either, Layer, Redacted } from "effect"
import { Api } from "./Api.js"
import { ApiDocs } from "./ApiDocs.js"
import { AdminHandlers } from "./handlers/AdminHandlers.js"
import { AuthHandlers } from "./handlers/AuthHandlers.js"
import { METRICS_PATH, MetricsRoute } from "./handlers/MetricsRoute.js"
import { OpsHandlers } from "./handlers/OpsHandlers.js"
import { UsersHandlers } from "./handlers/UsersHandlers.js"
import * as ListingCursor from "./ListingCursor.js"
import { HttpMetrics, type MetricsGauge } from "./Metrics.js"
import { type CorsOptions, checkCors, corsFor } from "./middleware/Cors.js"
import { problemResponses } from "./middleware/Problems.js"
import { DEFAULT_MAX_BODY_BYTES, limitRequestBody } from "./middleware/RequestBody.js"
import { logRequests } from "./middleware/RequestLog.js"
import { countRequests } from "./middleware/RequestMetrics.js"
import { RouteNoteLive } from "./middleware/RouteNote.js"
import { securityHeaders } from "./middleware/SecurityHeaders.js"
import type { ReadinessCheck } from "./Readiness.js"

export interface HttpAppOptions {
  /** The largest request body accepted, in bytes; longer ones get a 413. Default 64 KiB. */
  readonly maxBodyBytes?: number
  /** Serve `GET /metrics` (Prometheus text format). Default off: then /metrics is a 404 like any unknown path. */
  readonly metrics?: boolean
  /** Values the app adds to /metrics (e.g. database pool use); read at each scrape. Ignored when metrics are off. */
  readonly metricsGauges?: ReadonlyArray<MetricsGauge>
  /** Browser calls from other origins. Default: none allowed (no CORS headers, OPTIONS is a 404). */
  readonly cors?: CorsOptions
  /**
   * Signs the listings' `next_cursor`: at least 32 bytes, the same on every instance (derive it
   * from the deployment's secret), or cursors fail after a restart and on another instance.
   */
  readonly cursorKey: Redacted.Redacted<Uint8Array>
}

const DOCS_PATH = "/docs"
const OPENAPI_PATH = "/openapi.json"

const ApiLive = HttpApiBuilder.api(Api).pipe(
  Layer.provide([AuthHandlers, UsersHandlers, AdminHandlers, OpsHandlers]),
  Layer.provide(RouteNoteLive),
)

/** The edge, outermost first: log and count what was finally answered, after every failure became a problem. */
const edge = (options: HttpAppOptions, maxBodyBytes: number) =>
  HttpApiBuilder.middleware(
    Api,
    Effect.map(HttpMetrics, (metrics) => {
      const count =
        options.metrics === true ? countRequests(metrics, new Set([DOCS_PATH, OPENAPI_PATH, METRICS_PATH])) : undefined
      const cors = options.cors === undefined ? undefined : corsFor(options.cors)
      return (app) => {
        const answered = problemResponses(limitRequestBody(maxBodyBytes)(app))
        const shared = cors === undefined ? answered : cors(answered)
        return logRequests(count)(securityHeaders(shared))
      }
    }),
  )

const makeLayer = (
  options: HttpAppOptions,
): Layer.Layer<
  never,
  never,
  | HttpServer.HttpServer
  | HttpRouter.HttpRouter.DefaultServices
  | Accounts
  | OwnAccount
  | Directory
  | Administration
  | ReadinessCheck
> => {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1)
    return Layer.effectDiscard(Effect.dieMessage("maxBodyBytes must be a positive whole number of bytes"))
  const cors = options.cors === undefined ? Either.right(undefined) : checkCors(options.cors)
  if (Either.isLeft(cors)) return Layer.effectDiscard(Effect.dieMessage(cors.left))
  if (Redacted.value(options.cursorKey).length < ListingCursor.MIN_CURSOR_KEY_BYTES)
    return Layer.effectDiscard(
      Effect.dieMessage(`cursorKey must be at least ${ListingCursor.MIN_CURSOR_KEY_BYTES} bytes`),
    )
  const metrics = options.metrics === true ? HttpMetrics.layer(options.metricsGauges ?? []) : HttpMetrics.disabled
  return HttpApiBuilder.serve().pipe(
    Layer.provide(ApiDocs.layer({ path: DOCS_PATH })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: OPENAPI_PATH })),
    Layer.provide(options.metrics === true ? MetricsRoute : Layer.empty),
    Layer.provide(edge(options, maxBodyBytes)),
    Layer.provide(Layer.provide(ApiLive, ListingCursor.layer(options.cursorKey))),
    Layer.provide(metrics),
    // `GET /users/` is the seed clients' spelling of `GET /users`: every route answers both.
    Layer.provide(HttpRouter.setRouterConfig({ ignoreTrailingSlash: true })),
  )
}

/** The API served on the app's HttpServer: handlers, problem+json errors, request logs, /openapi.json and /docs. */
export const HttpApp = { layer: makeLayer } as const
