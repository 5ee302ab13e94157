import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Clock, Effect, Exit, LogLevel } from "effect"
import { currentRouteCell, type RouteCell } from "./RouteNote.js"

// A caller's id is kept only when it cannot forge log lines or carry much.
const saneRequestId = /^[A-Za-z0-9._:-]{1,128}$/

/** The request's id: the caller's `X-Request-Id` when it is sane, else a new one. */
export const requestIdOf = (given: string | undefined): string =>
  given !== undefined && saneRequestId.test(given) ? given : crypto.randomUUID()

// The route template when the router matched one, else the path: never the query string, which may carry secrets.
const routeOf = (request: HttpServerRequest.HttpServerRequest, cell: RouteCell) =>
  cell.route ?? request.url.split("?")[0]?.slice(0, 200)

/** A request as it was finally answered, measured once for the log and for whatever else records it. */
export interface Answered {
  readonly request: HttpServerRequest.HttpServerRequest
  /** The route template the router matched, if it matched one. */
  readonly route: string | undefined
  readonly status: number
  readonly seconds: number
}

/** The level of a request's log line, by its status. */
export const answerLevel = (status: number): LogLevel.LogLevel =>
  // A 503 is the service saying "not now" (an outage it already warned about), not a fault of its own.
  status === 503 ? LogLevel.Warning : status >= 500 ? LogLevel.Error : LogLevel.Info

/** Whether a request's log line is written under `minimum` (a fiber's LOG_LEVEL), as `Effect.whenLogLevel` decides. */
export const answerLogged = (status: number, minimum: LogLevel.LogLevel): boolean =>
  !LogLevel.greaterThan(minimum, answerLevel(status))

/** The request's log line. */
export const logAnswer = (answer: {
  readonly requestId: string
  readonly method: string
  readonly route: string | undefined
  readonly status: number
  readonly seconds: number
}) => {
  const level = answerLevel(answer.status)
  // Below LOG_LEVEL the line is not even annotated (its five fields cost more than the check).
  return Effect.asVoid(
    Effect.whenLogLevel(
      Effect.logWithLevel(level, "request").pipe(
        Effect.annotateLogs({
          request_id: answer.requestId,
          method: answer.method,
          route: answer.route,
          status: answer.status,
          duration_ms: Math.round(answer.seconds * 1e4) / 10,
        }),
      ),
      level,
    ),
  )
}

/**
 * One log line per request: id, method, route, status and duration, nothing else (no headers,
 * bodies or query strings). The id is echoed as `x-request-id` and annotates every log of the request.
 * `record` receives the same measurement (the metrics, when they are on).
 */
export const logRequests =
  (record: (answered: Answered) => Effect.Effect<void> = () => Effect.void) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const requestId = requestIdOf(request.headers["x-request-id"])
      const start = yield* Clock.currentTimeNanos
      const cell: RouteCell = { route: undefined }
      const exit = yield* app.pipe(
        Effect.annotateLogs("request_id", requestId),
        Effect.locally(currentRouteCell, cell),
        Effect.exit,
      )
      const end = yield* Clock.currentTimeNanos
      // Failures are mapped to responses inside; what is left is an interruption: the client left.
      const status = Exit.isSuccess(exit) ? exit.value.status : 499
      const seconds = Number(end - start) / 1e9
      yield* record({ request, route: cell.route, status, seconds })
      yield* logAnswer({ requestId, method: request.method, route: routeOf(request, cell), status, seconds })
      return yield* Exit.map(exit, HttpServerResponse.setHeader("x-request-id", requestId))
    })
