import { HttpMiddleware } from "@effect/platform"
import { Either } from "effect"

/** Which other web origins may call the API from a browser. */
export interface Options {
  /** Exact origins (`https://app.example.com`, no path or trailing slash), or `"*"` for any. */
  readonly origins: ReadonlyArray<string>
  /** Whether browsers may send cookies and `Authorization` along (never with `"*"`). */
  readonly credentials: boolean
}

const isOrigin = (origin: string): boolean => URL.canParse(origin) && new URL(origin).origin === origin

/**
 * The options checked, or what is wrong with them: a mistake here would silently let every site,
 * or none, call the API. The app checks its configuration with this too.
 */
export const validate = (options: Options): Either.Either<Options, string> => {
  const anyOrigin = options.origins.includes("*")
  if (anyOrigin && options.credentials)
    return Either.left(
      'origins "*" together with credentials would let any web site act as its signed-in visitors; list the origins',
    )
  const wrong = options.origins.filter((origin) => origin !== "*" && !isOrigin(origin))
  if (wrong.length > 0)
    return Either.left(
      `not an origin as browsers send it (lower-case scheme://host[:port], no path or trailing slash): ${wrong.map((o) => JSON.stringify(o)).join(", ")}`,
    )
  return Either.right(options)
}

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
