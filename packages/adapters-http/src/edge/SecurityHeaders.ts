import { type HttpApp, HttpServerRequest, HttpServerResponse } from "@effect/platform"
import { Effect } from "effect"

// For answers that set none (JSON, problems): nothing in them may run, load or be framed.
const DEFAULT_CONTENT_SECURITY_POLICY = "default-src 'none'; frame-ancestors 'none'"

const isApiPath = (path: string) => path === "/api" || path.startsWith("/api/")

/** The security headers of an answer to `path` whose own headers are `own`. */
export const securityHeadersFor = (path: string, own: Readonly<Record<string, string | undefined>>) => ({
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
  "content-security-policy": own["content-security-policy"] ?? DEFAULT_CONTENT_SECURITY_POLICY,
  "cache-control": isApiPath(path) ? "no-store" : (own["cache-control"] ?? "no-store"),
})

/**
 * Headers on every answer, problems and 404s included: no MIME sniffing, no Referer leaving a
 * page, a content security policy (the docs page sets its own), and `Cache-Control: no-store`
 * unless a route chose its caching; under `/api` always `no-store`, since its answers carry
 * personal data and tokens.
 */
export const securityHeaders = <E, R>(app: HttpApp.Default<E, R>): HttpApp.Default<E, R> =>
  Effect.gen(function* () {
    const request = yield* HttpServerRequest.HttpServerRequest
    const response = yield* app
    return HttpServerResponse.setHeaders(
      response,
      securityHeadersFor(request.url.split("?")[0] ?? "", response.headers),
    )
  })
