import { Headers, type HttpApp, HttpServerRequest } from "@effect/platform"
import { Effect, Either, Option, Stream } from "effect"
import { BadRequest, ContentTooLarge, problem, UnsupportedMediaType } from "../problems/Problem.js"

// Methods whose bodies the API reads; any other body is left to the server to discard.
const methodsWithBody: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH", "DELETE"])
const supportedMediaTypes: ReadonlySet<string> = new Set(["application/json", "application/x-www-form-urlencoded"])
/** Deeper JSON is refused before it is parsed: decoding and error formatting recurse per level. */
const MAX_JSON_DEPTH = 32

export const tooLarge = (maxBytes: number) =>
  problem(ContentTooLarge, "content_too_large", `the request body must be at most ${maxBytes} bytes`)

export const unsupportedMediaType = () =>
  problem(UnsupportedMediaType, "unsupported_media_type", "send application/json or a urlencoded form, in UTF-8")

const unsupportedEncoding = () =>
  problem(UnsupportedMediaType, "unsupported_content_encoding", "send the request body uncompressed")

const utf8Charsets: ReadonlySet<string> = new Set(["utf-8", "utf8", "us-ascii"])

/**
 * The one media type the body will be read as, from the whole Content-Type (parameters checked),
 * or a 415. No header means JSON, as the platform assumes.
 */
const mediaTypeOf = (contentType: string | undefined): Either.Either<string, UnsupportedMediaType> => {
  if (contentType === undefined) return Either.right("application/json")
  const [type = "", ...parameters] = contentType.split(";").map((part) => part.trim().toLowerCase())
  const charset = parameters
    .find((p) => p.startsWith("charset="))
    ?.slice("charset=".length)
    .replaceAll('"', "")
  return supportedMediaTypes.has(type) && (charset === undefined || utf8Charsets.has(charset))
    ? Either.right(type)
    : Either.left(unsupportedMediaType())
}

/**
 * Reads at most `maxBytes`; `None` when the body is longer. The rest stays unread, not destroyed:
 * the stream is closed with the request's scope, after the 413 is sent, so the client gets an
 * answer instead of a reset connection.
 */
const readAtMost = (request: HttpServerRequest.HttpServerRequest, maxBytes: number) =>
  Effect.gen(function* () {
    const pull = yield* Stream.toPull(request.stream)
    const chunks: Array<Uint8Array> = []
    let size = 0
    while (size <= maxBytes) {
      const next = yield* pull.pipe(
        Effect.map(Option.some),
        Effect.catchAll(Option.match({ onNone: () => Effect.succeedNone, onSome: Effect.die })),
      )
      if (Option.isNone(next)) break
      for (const chunk of next.value) {
        chunks.push(chunk)
        size += chunk.length
      }
    }
    if (size > maxBytes) return Option.none()
    const body = new Uint8Array(size)
    let offset = 0
    for (const chunk of chunks) {
      body.set(chunk, offset)
      offset += chunk.length
    }
    return Option.some(body)
  })

/** Deepest nesting of arrays and objects, outside strings; stops counting past `limit`. */
const jsonDepthExceeds = (text: string, limit: number): boolean => {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (inString) {
      if (c === "\\") i++
      else if (c === '"') inString = false
    } else if (c === '"') inString = true
    else if (c === "[" || c === "{") {
      if (++depth > limit) return true
    } else if (c === "]" || c === "}") depth--
  }
  return false
}

// The buffered body, read as `mediaType`, behind the original request's url, headers and address.
const withBody = (request: HttpServerRequest.HttpServerRequest, mediaType: string, body: Uint8Array<ArrayBuffer>) =>
  HttpServerRequest.fromWeb(new Request("http://localhost/", { method: request.method, body })).modify({
    url: request.url,
    headers: Headers.set(request.headers, "content-type", mediaType),
    ...Option.match(request.remoteAddress, { onNone: () => ({}), onSome: (remoteAddress) => ({ remoteAddress }) }),
  })

/**
 * Bounds what a request body may cost before the API parses it: a length over `maxBytes` is a 413
 * before any byte is read, a longer chunked body a 413 once the limit is crossed, a media type the
 * API does not speak a 415 (even with an empty body), JSON nested deeper than MAX_JSON_DEPTH a 400.
 * The platform then sees only the media type checked here: it picks its parser by a substring of
 * the header (`form; x=multipart/form-data` would be read as multipart), and waits forever for an
 * empty multipart body.
 */
export const limitRequestBody =
  (maxBytes: number) =>
  <E, R>(app: HttpApp.Default<E, R>) =>
    Effect.gen(function* () {
      const request = yield* HttpServerRequest.HttpServerRequest
      // The platform reads no body for other methods, so theirs are left to the server to discard.
      if (!methodsWithBody.has(request.method)) return yield* app
      const length = request.headers["content-length"]
      if (length !== undefined && !/^\d+$/.test(length))
        return yield* Effect.fail(problem(BadRequest, "invalid_content_length", "content-length must be a number"))
      if (length !== undefined && Number(length) > maxBytes) return yield* Effect.fail(tooLarge(maxBytes))
      const mediaType = yield* mediaTypeOf(request.headers["content-type"])
      const encoding = request.headers["content-encoding"]?.trim().toLowerCase()
      if (encoding !== undefined && encoding !== "" && encoding !== "identity")
        return yield* Effect.fail(unsupportedEncoding())

      const body = yield* readAtMost(request, maxBytes)
      if (Option.isNone(body)) return yield* Effect.fail(tooLarge(maxBytes))
      if (mediaType === "application/json" && jsonDepthExceeds(new TextDecoder().decode(body.value), MAX_JSON_DEPTH))
        return yield* Effect.fail(
          problem(BadRequest, "nesting_too_deep", `JSON may nest at most ${MAX_JSON_DEPTH} levels deep`),
        )
      return yield* Effect.provideService(
        app,
        HttpServerRequest.HttpServerRequest,
        withBody(request, mediaType, body.value),
      )
    })
