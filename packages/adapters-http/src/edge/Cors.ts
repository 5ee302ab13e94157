import { HttpMiddleware } from "@effect/platform"
import type { CorsOptions } from "../Settings.js"

/** Which other web origins may call the API from a browser. */
export type Options = CorsOptions

/**
 * CORS by the platform's middleware: preflights (OPTIONS) answered 204, and the
 * `Access-Control-Allow-Origin` header echoed only to a listed origin, with `Vary: Origin`.
 */
export const middleware = (options: Options) => {
  const allowed: ReadonlySet<string> = new Set(options.origins)
  return HttpMiddleware.cors({
    // A request without an Origin header is not a cross-origin one: it gets no CORS headers.
    allowedOrigins: (origin) => typeof origin === "string" && (allowed.has("*") || allowed.has(origin)),
    allowedMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ["authorization", "content-type", "x-request-id"],
    exposedHeaders: ["x-request-id", "www-authenticate"],
    credentials: options.credentials,
    maxAge: 600,
  })
}
