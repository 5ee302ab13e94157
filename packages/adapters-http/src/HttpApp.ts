import { HttpApiBuilder, HttpRouter, type HttpServer } from "@effect/platform"
import type {
  Accounts,
  Administration,
  Directory,
  EmailVerification,
  OwnAccount,
  PasswordRecovery,
  Sessions,
} from "@userkit/domain"
import { Effect, Either, Layer, Redacted } from "effect"
import { Api } from "./Api.js"
import * as AdminHandlers from "./admin/Handlers.js"
import * as AuthHandlers from "./auth/Handlers.js"
import * as ClientAddress from "./edge/ClientAddress.js"
import type * as Cors from "./edge/Cors.js"
import * as Direct from "./edge/Direct.js"
import * as Edge from "./edge/Edge.js"
import * as HttpMetrics from "./edge/HttpMetrics.js"
import * as RouteNote from "./edge/RouteNote.js"
import * as ListingCursors from "./listing/ListingCursors.js"
import * as ApiDocs from "./ops/ApiDocs.js"
import * as OpsHandlers from "./ops/Handlers.js"
import * as MetricsRoute from "./ops/MetricsRoute.js"
import { type Jwks, PublicKeys } from "./ops/PublicKeys.js"
import type { ReadinessCheck } from "./ops/ReadinessCheck.js"
import { DEFAULT_MAX_BODY_BYTES, validateCors, validateTrustedProxies } from "./Settings.js"
import * as UsersHandlers from "./users/Handlers.js"

export type { MetricsGauge } from "./edge/HttpMetrics.js"
export { type CorsOptions, DEFAULT_MAX_BODY_BYTES, validateCors, validateTrustedProxies } from "./Settings.js"

export interface Options {
  /** The largest request body accepted, in bytes; longer ones get a 413. Default 64 KiB. */
  readonly maxBodyBytes?: number
  /** Serve `GET /metrics` (Prometheus text format). Default off: then /metrics is a 404 like any unknown path. */
  readonly metrics?: boolean
  /** Values the app adds to /metrics (e.g. database pool use); read at each scrape. Ignored when metrics are off. */
  readonly metricsGauges?: ReadonlyArray<HttpMetrics.MetricsGauge>
  /** Browser calls from other origins. Default: none allowed (no CORS headers, OPTIONS is a 404). */
  readonly cors?: Cors.Options
  /**
   * The proxies whose `X-Forwarded-For` is believed about the client's address (which limits count
   * and sessions record): IP addresses, CIDR ranges, or `loopback`, `linklocal`, `uniquelocal`.
   * Default: none, the client is the socket's peer.
   */
  readonly trustedProxies?: ReadonlyArray<string>
  /**
   * Signs the listings' `next_cursor`: at least 32 bytes, the same on every instance (derive it
   * from the deployment's secret), or cursors fail after a restart and on another instance.
   */
  readonly cursorKey: Redacted.Redacted<Uint8Array>
  /** The public keys served at `/.well-known/jwks.json`; an empty set when absent (HMAC-signed tokens). */
  readonly publicKeys?: Effect.Effect<Jwks>
  /**
   * Answer `GET /health` and `GET /api/v1/auth/me` without the router where they are the ordinary
   * case (see edge/Direct.ts), when served by `NodeServing.layer`. Default on; the answers are the
   * same, CORS headers included.
   */
  readonly directRoutes?: boolean
}

const DOCS_PATH = "/docs"
const OPENAPI_PATH = "/openapi.json"

const handlers = HttpApiBuilder.api(Api).pipe(
  Layer.provide([AuthHandlers.layer, UsersHandlers.layer, AdminHandlers.layer, OpsHandlers.layer]),
  Layer.provide(RouteNote.layer),
)

interface Checked {
  readonly maxBodyBytes: number
  readonly trustedProxies: ReadonlyArray<string>
}

/** The options checked: a wrong one stops the app from starting, saying which. */
const validate = (options: Options): Either.Either<Checked, string> => {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1)
    return Either.left("maxBodyBytes must be a positive whole number of bytes")
  if (Redacted.value(options.cursorKey).length < ListingCursors.MIN_CURSOR_KEY_BYTES)
    return Either.left(`cursorKey must be at least ${ListingCursors.MIN_CURSOR_KEY_BYTES} bytes`)
  if (options.cors !== undefined) {
    const cors = validateCors(options.cors)
    if (Either.isLeft(cors)) return Either.left(`cors: ${cors.left}`)
  }
  return Either.mapBoth(validateTrustedProxies(options.trustedProxies ?? []), {
    onLeft: (wrong) => `trustedProxies: ${wrong}`,
    onRight: (trustedProxies) => ({ maxBodyBytes, trustedProxies }),
  })
}

/** The API served on the app's HttpServer: handlers, problem+json errors, request logs, /openapi.json and /docs. */
export const layer = (
  options: Options,
): Layer.Layer<
  never,
  never,
  | HttpServer.HttpServer
  | HttpRouter.HttpRouter.DefaultServices
  | Accounts
  | Sessions
  | OwnAccount
  | Directory
  | Administration
  | PasswordRecovery
  | EmailVerification
  | ReadinessCheck
> =>
  Either.match(validate(options), {
    onLeft: (wrong) => Layer.effectDiscard(Effect.dieMessage(wrong)),
    onRight: ({ maxBodyBytes, trustedProxies }) =>
      HttpApiBuilder.serve().pipe(
        Layer.provide(ApiDocs.layer({ path: DOCS_PATH })),
        Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: OPENAPI_PATH })),
        Layer.provide(options.metrics === true ? MetricsRoute.layer : Layer.empty),
        Layer.provide(
          Edge.layer({
            maxBodyBytes,
            cors: options.cors,
            countedPages: options.metrics === true ? new Set([DOCS_PATH, OPENAPI_PATH, MetricsRoute.path]) : undefined,
          }),
        ),
        Layer.provide(
          Layer.provide(
            handlers,
            Layer.mergeAll(
              ListingCursors.layer(options.cursorKey),
              ClientAddress.layer(trustedProxies),
              Layer.succeed(PublicKeys, { jwks: options.publicKeys ?? Effect.succeed({ keys: [] }) }),
            ),
          ),
        ),
        Layer.provide(options.directRoutes === false ? Layer.empty : Direct.layer({ cors: options.cors })),
        Layer.provide(options.metrics === true ? HttpMetrics.layer(options.metricsGauges ?? []) : HttpMetrics.disabled),
        // `GET /users/` is the seed clients' spelling of `GET /users`: every route answers both.
        Layer.provide(HttpRouter.setRouterConfig({ ignoreTrailingSlash: true })),
      ),
  })
