import { HttpApiBuilder } from "@effect/platform"
import { Effect } from "effect"
import { Api } from "../Api.js"
import { problemResponses } from "../problems/ProblemResponses.js"
import * as Cors from "./Cors.js"
import { HttpMetrics } from "./HttpMetrics.js"
import { limitRequestBody } from "./RequestBody.js"
import { logRequests } from "./RequestLog.js"
import { countRequests } from "./RequestMetrics.js"
import { securityHeaders } from "./SecurityHeaders.js"

export interface Options {
  readonly maxBodyBytes: number
  readonly cors: Cors.Options | undefined
  /** Count requests, labelling those outside the API by these paths (its pages). */
  readonly countedPages: ReadonlySet<string> | undefined
}

/**
 * What every request passes through, outermost first: log and count what was finally answered,
 * security headers, CORS, every failure answered as a problem, and the request body bounded.
 */
export const layer = (options: Options) =>
  HttpApiBuilder.middleware(
    Api,
    Effect.map(HttpMetrics, (metrics) => {
      const count = options.countedPages === undefined ? undefined : countRequests(metrics, options.countedPages)
      const cors = options.cors === undefined ? undefined : Cors.middleware(options.cors)
      return (app) => {
        const answered = problemResponses(limitRequestBody(options.maxBodyBytes)(app))
        const shared = cors === undefined ? answered : cors(answered)
        return logRequests(count)(securityHeaders(shared))
      }
    }),
  )
