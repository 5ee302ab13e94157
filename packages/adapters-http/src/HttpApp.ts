import { HttpApiBuilder, HttpApiSwagger, type HttpRouter, type HttpServer } from "@effect/platform"
import type { Accounts } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { Api } from "./Api.js"
import { AuthHandlers } from "./handlers/AuthHandlers.js"
import { OpsHandlers } from "./handlers/OpsHandlers.js"
import { problemResponses } from "./middleware/Problems.js"
import { limitRequestBody } from "./middleware/RequestBody.js"
import { logRequests } from "./middleware/RequestLog.js"
import { RouteNoteLive } from "./middleware/RouteNote.js"
import type { ReadinessCheck } from "./Readiness.js"

export interface HttpAppOptions {
  /** The largest request body accepted, in bytes; longer ones get a 413. Default 64 KiB. */
  readonly maxBodyBytes?: number
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024

const ApiLive = HttpApiBuilder.api(Api).pipe(Layer.provide([AuthHandlers, OpsHandlers]), Layer.provide(RouteNoteLive))

const makeLayer = (
  options: HttpAppOptions = {},
): Layer.Layer<
  never,
  never,
  HttpServer.HttpServer | HttpRouter.HttpRouter.DefaultServices | Accounts | ReadinessCheck
> => {
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1)
    return Layer.effectDiscard(Effect.dieMessage("maxBodyBytes must be a positive whole number of bytes"))
  // Outermost first: log what was finally answered, after every failure became a problem.
  const edge = HttpApiBuilder.middleware(Api, (app) =>
    logRequests(problemResponses(limitRequestBody(maxBodyBytes)(app))),
  )
  return HttpApiBuilder.serve().pipe(
    Layer.provide(HttpApiSwagger.layer({ path: "/docs" })),
    Layer.provide(HttpApiBuilder.middlewareOpenApi({ path: "/openapi.json" })),
    Layer.provide(edge),
    Layer.provide(ApiLive),
  )
}

/** The API served on the app's HttpServer: handlers, problem+json errors, request logs, /openapi.json and /docs. */
export const HttpApp = { layer: makeLayer } as const
