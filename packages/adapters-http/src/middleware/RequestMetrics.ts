import { type HttpApp, HttpServerRequest } from "@effect/platform"
import { Clock, Effect, Exit, FiberRef } from "effect"
import type { HttpMetrics } from "../Metrics.js"
import { currentRouteCell, type RouteCell } from "./RouteNote.js"

/**
 * The route label of a request: the template the router matched, a page served outside the API
 * (`/docs`), or one label for everything else, so that paths made up by clients (or scanners)
 * cannot add series without bound.
 */
const routeLabel = (request: HttpServerRequest.HttpServerRequest, cell: RouteCell, pages: ReadonlySet<string>) => {
  if (cell.route !== undefined) return cell.route
  const path = request.url.split("?")[0] ?? ""
  return pages.has(path) ? path : "(unmatched)"
}

/**
 * Counts and times each request by method, route template and final status. Reads the route cell
 * the request log installs around it, or installs its own.
 */
export const countRequests =
  (metrics: HttpMetrics["Type"], pages: ReadonlySet<string>) =>
  <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      const outer = yield* FiberRef.get(currentRouteCell)
      const cell: RouteCell = outer ?? { route: undefined }
      const start = yield* Clock.currentTimeNanos
      const exit = yield* (outer === undefined ? Effect.locally(app, currentRouteCell, cell) : app).pipe(Effect.exit)
      const end = yield* Clock.currentTimeNanos
      // As in the request log: what is left unanswered is an interruption, the client went away.
      const status = Exit.isSuccess(exit) ? exit.value.status : 499
      yield* metrics.recordRequest(request.method, routeLabel(request, cell, pages), status, Number(end - start) / 1e9)
      return yield* exit
    })
