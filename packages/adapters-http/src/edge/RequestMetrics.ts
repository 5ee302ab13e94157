import { Effect } from "effect"
import type { HttpMetrics } from "./HttpMetrics.js"
import type { Answered } from "./RequestLog.js"

/**
 * The route label of a request: the template the router matched, a page served outside the API
 * (`/docs`), or one label for everything else, so that paths made up by clients (or scanners)
 * cannot add series without bound.
 */
const routeLabel = ({ request, route }: Answered, pages: ReadonlySet<string>) => {
  if (route !== undefined) return route
  const path = request.url.split("?")[0] ?? ""
  return pages.has(path) ? path : "(unmatched)"
}

/** Counts and times each answered request by method, route template and final status. */
export const countRequests = (metrics: HttpMetrics["Type"], pages: ReadonlySet<string>) => (answered: Answered) =>
  Effect.sync(() =>
    metrics.recordRequest(answered.request.method, routeLabel(answered, pages), answered.status, answered.seconds),
  )
