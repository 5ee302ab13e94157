import { HttpApp, HttpMiddleware, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"
import type { CorsOptions } from "../Settings.js"

/** Which other web origins may call the API from a browser. */
export type Options = CorsOptions

/** Whether a request's `Origin` is one `options` lets call the API; a request without one is not cross-origin. */
const allows = (options: Options) => {
  const allowed: ReadonlySet<string> = new Set(options.origins)
  return (origin: string | undefined): origin is string =>
    typeof origin === "string" && (allowed.has("*") || allowed.has(origin))
}

/**
 * CORS by the platform's middleware: preflights (OPTIONS) answered 204, and the
 * `Access-Control-Allow-Origin` header echoed only to a listed origin, with `Vary: Origin`.
 */
export const middleware = (options: Options) =>
  HttpMiddleware.cors({
    // A request without an Origin header is not a cross-origin one: it gets no CORS headers.
    allowedOrigins: allows(options),
    allowedMethods: ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"],
    allowedHeaders: ["authorization", "content-type", "x-request-id"],
    exposedHeaders: ["x-request-id", "www-authenticate"],
    credentials: options.credentials,
    maxAge: 600,
  })

/** The header the middleware echoes an allowed origin in. */
const ECHOED = "access-control-allow-origin"

/**
 * The headers `middleware` adds to an answer other than a preflight's, by the request's `Origin`,
 * for answers made without it (the direct routes). Read off the middleware itself when built: once
 * for a request without an Origin (a refused one gets the same: the middleware only adds to an
 * allowed one) and once for an allowed one, whose value it echoes in `Access-Control-Allow-Origin`; the
 * caller's origin then takes the sample's place there.
 */
export const answerHeaders = (
  options: Options,
): Effect.Effect<(origin: string | undefined) => Readonly<Record<string, string>>> =>
  Effect.gen(function* () {
    const handler = HttpApp.toWebHandler(middleware(options)(Effect.succeed(HttpServerResponse.empty())))
    const headersFor = (origin: string | undefined) =>
      Effect.promise(async () => {
        const answer = await handler(
          new Request("http://cors.invalid/", { headers: origin === undefined ? {} : { origin } }),
        )
        const headers: Record<string, string> = {}
        answer.headers.forEach((value, name) => {
          headers[name] = value
        })
        return headers
      })
    const sample = options.origins.find((origin) => origin !== "*") ?? "https://any-origin.invalid"
    const plain = yield* headersFor(undefined)
    const echoed = yield* headersFor(sample)
    const echoes = echoed[ECHOED] === sample
    const allowed = allows(options)
    return (origin) => (!allowed(origin) ? plain : echoes ? { ...echoed, [ECHOED]: origin } : echoed)
  })
