import { Either } from "effect"

// What an app checks its own configuration with. Imported as `@userkit/adapters-http/settings`, it
// loads none of the HTTP API: the CLI reads the configuration without paying for the server.

/** The largest request body accepted by default, in bytes; longer ones get a 413. */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024

/** Which other web origins may call the API from a browser. */
export interface CorsOptions {
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
export const validateCors = (options: CorsOptions): Either.Either<CorsOptions, string> => {
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

export { validateTrustedProxies } from "./edge/TrustedProxies.js"
