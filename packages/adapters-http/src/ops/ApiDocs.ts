import { createHash } from "node:crypto"
import { createRequire } from "node:module"
import { dirname, join } from "node:path"
import { HttpApiBuilder, HttpServerRequest, HttpServerResponse, OpenApi } from "@effect/platform"
import { Effect, Predicate } from "effect"
import { Api } from "../Api.js"

/** A file of the docs page, served from memory under a name that changes when its content does. */
interface Asset {
  readonly path: `/${string}`
  readonly contentType: string
  readonly body: string
  readonly etag: string
}

const hashOf = (body: string) => createHash("sha256").update(body).digest("base64url").slice(0, 16)

const asset = (prefix: `/${string}`, name: string, extension: string, contentType: string, body: string): Asset => {
  const hash = hashOf(body)
  return { path: `${prefix}/${name}.${hash}.${extension}`, contentType, body, etag: `"${hash}"` }
}

/**
 * Swagger UI 5 as @effect/platform bundles it for its own docs page (a module it does not export):
 * the same version, no extra dependency, nothing fetched from a CDN.
 */
const swaggerUi = Effect.try({
  try: () => {
    const require = createRequire(import.meta.url)
    const platform = dirname(require.resolve("@effect/platform/package.json"))
    const bundled: unknown = require(join(platform, "dist/cjs/internal/httpApiSwagger.js"))
    if (!Predicate.hasProperty(bundled, "javascript") || !Predicate.hasProperty(bundled, "css"))
      throw new Error("it has no javascript and css")
    const { javascript, css } = bundled
    if (typeof javascript !== "string" || typeof css !== "string") throw new Error("its assets are not text")
    // Their source maps are not shipped: a browser's developer tools would only get 404s.
    const withoutSourceMap = (text: string) => text.replace(/\n?\/[*/]# sourceMappingURL=[^\n]*$/, "")
    return { javascript: withoutSourceMap(javascript), css: withoutSourceMap(css) }
  },
  catch: (cause) => new Error(`the docs page cannot load Swagger UI from @effect/platform: ${String(cause)}`),
})

// Starts Swagger UI on the document embedded in the page: a script file, so the page needs no inline script.
const initializer = `window.addEventListener("load", function () {
  var spec = JSON.parse(document.getElementById("openapi-document").textContent);
  window.ui = SwaggerUIBundle({ spec: spec, dom_id: "#swagger-ui" });
});
`

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)

/**
 * What the page may do: run and style itself from this server only (no inline script or style),
 * call this API, show inline SVG icons, and never be framed by another site (clickjacking).
 */
const DOCS_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ")

/** Hashed names never change content: a year, without asking again. */
const IMMUTABLE = "public, max-age=31536000, immutable"
/** The page names the current hashes: ask each time, answered 304 while it is unchanged. */
const REVALIDATE = "no-cache"

const matches = (ifNoneMatch: string | undefined, etag: string): boolean =>
  (ifNoneMatch ?? "").split(",").some((tag) => {
    const trimmed = tag.trim()
    return trimmed === "*" || trimmed === etag || trimmed === `W/${etag}`
  })

const serve = (file: Asset, cacheControl: string, headers: Record<string, string> = {}) =>
  Effect.map(HttpServerRequest.HttpServerRequest, (request) => {
    const common = { ...headers, etag: file.etag, "cache-control": cacheControl }
    return matches(request.headers["if-none-match"], file.etag)
      ? HttpServerResponse.empty({ status: 304, headers: common })
      : HttpServerResponse.text(file.body, { contentType: file.contentType, headers: common })
  })

/**
 * The API's documentation page (Swagger UI) at `path`, and its script and style files under
 * `path/assets/`, named by content hash and cacheable for good; the page itself is revalidated
 * with an ETag. Replaces `HttpApiSwagger.layer`, which inlines 2 MB into every answer.
 */
export const layer = (options: { readonly path: `/${string}` }) =>
  HttpApiBuilder.Router.use((router) =>
    Effect.gen(function* () {
      const { javascript, css } = yield* Effect.orDie(swaggerUi)
      const assets = `${options.path}/assets` as const
      const files = [
        asset(assets, "swagger-ui", "css", "text/css; charset=utf-8", css),
        asset(assets, "swagger-ui-bundle", "js", "text/javascript; charset=utf-8", javascript),
        asset(assets, "docs", "js", "text/javascript; charset=utf-8", initializer),
      ] as const
      const [style, bundle, init] = files
      const document = OpenApi.fromApi(Api)
      const html = `<!DOCTYPE html>
<html lang="en">
<head>
  <meta charset="utf-8" />
  <meta name="viewport" content="width=device-width, initial-scale=1" />
  <title>${escapeHtml(document.info.title)} Documentation</title>
  <link rel="stylesheet" href="${style.path}" />
</head>
<body>
  <div id="swagger-ui"></div>
  <script id="openapi-document" type="application/json">${JSON.stringify(document).replaceAll("<", "\\u003c")}</script>
  <script src="${bundle.path}"></script>
  <script src="${init.path}"></script>
</body>
</html>
`
      const page = {
        path: options.path,
        contentType: "text/html; charset=utf-8",
        body: html,
        etag: `"${hashOf(html)}"`,
      }
      yield* router.get(
        options.path,
        serve(page, REVALIDATE, { "content-security-policy": DOCS_CONTENT_SECURITY_POLICY }),
      )
      for (const file of files) yield* router.get(file.path, serve(file, IMMUTABLE))
    }),
  )
