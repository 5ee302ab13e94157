import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Exit, Option } from "effect"

// A caller's id is kept only when it cannot forge log lines or carry much.
const saneRequestId = /^[A-Za-z0-9._:-]{1,128}$/

const requestIdOf = (request: HttpServerRequest.HttpServerRequest): string => {
  const given = request.headers["x-request-id"]
  return given !== undefined && saneRequestId.test(given) ? given : crypto.randomUUID()
}

// The route template when the router matched one (it notes it on the request's span), else the path:
// never the query string, which may carry secrets.
const routeOf = (request: HttpServerRequest.HttpServerRequest) =>
  Effect.currentSpan.pipe(
    Effect.map((span) => span.attributes.get("http.route")),
    Effect.option,
    Effect.map((route) =>
      Option.isSome(route) && typeof route.value === "string" ? route.value : request.url.split("?")[0]?.slice(0, 200),
    ),
  )

/**
 * One log line per request: id, method, route, status and duration, nothing else (no headers,
 * bodies or query strings). The id is echoed as `x-request-id` and annotates every log of the request.
 */
export const logRequests = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const requestId = requestIdOf(request)
    const start = yield* Clock.currentTimeNanos
    const exit = yield* Effect.exit(Effect.annotateLogs(app, "request_id", requestId))
    const end = yield* Clock.currentTimeNanos
    // Failures are mapped to responses inside; what is left is an interruption: the client left.
    const status = Exit.isSuccess(exit) ? exit.value.status : 499
    const log = status >= 500 ? Effect.logError("request") : Effect.logInfo("request")
    yield* log.pipe(
      Effect.annotateLogs({
        request_id: requestId,
        method: request.method,
        route: yield* routeOf(request),
        status,
        duration_ms: Math.round(Number(end - start) / 1e5) / 10,
      }),
    )
    return yield* Exit.map(exit, HttpServerResponse.setHeader("x-request-id", requestId))
  })
