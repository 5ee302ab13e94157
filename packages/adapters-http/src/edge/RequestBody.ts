import { Readable } from "node:stream"
import {
  Headers,
  type HttpApp,
  HttpIncomingMessage,
  HttpServerError,
  HttpServerRequest,
  Multipart,
  UrlParams,
} from "@effect/platform"
import { Effect, Either, Inspectable, Option, Stream } from "effect"
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

/** How the body is read as text: UTF-8, a leading BOM dropped, what does not decode replaced (as `Response.text()` does). */
const utf8 = new TextDecoder()

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
 * The request's body as node streams it: the node request itself, or (a request made in-process, by
 * `HttpApiBuilder.toWebHandler`) the platform's stream of it.
 */
const bodyOf = (request: HttpServerRequest.HttpServerRequest): Readable => {
  const source = request.source
  if (source instanceof Readable) return source
  return Readable.from(Stream.toAsyncIterable(request.stream))
}

/**
 * Reads at most `maxBytes`; `None` when the body is longer. The rest stays unread, not dumped: the
 * request is destroyed when its scope closes, after the 413 is sent, so the client gets an answer
 * instead of a reset connection and the server reads no more of it. A body that fails (the client
 * gone mid-upload) or was gone before it was read dies with `failure`'s error, as the platform's
 * own reading would (a RequestError: a 400, not a fault of the server's).
 */
const readAtMost = (body: Readable, maxBytes: number, failure: (cause: unknown) => unknown) =>
  Effect.tap(
    Effect.async<Option.Option<Buffer>>((resume) => {
      // Nothing more will be emitted: a destroyed body fails, an ended one was empty.
      if (body.destroyed) return resume(Effect.die(failure(new Error("the request was gone before its body was read"))))
      if (!body.readable) return resume(Effect.succeed(Option.some(Buffer.alloc(0))))
      const chunks: Array<Buffer> = []
      let size = 0
      const stop = () => {
        body.off("data", onData).off("end", onEnd).off("error", onError)
        body.pause()
      }
      const onData = (chunk: Buffer) => {
        chunks.push(chunk)
        size += chunk.length
        if (size <= maxBytes) return
        stop()
        resume(Effect.succeedNone)
      }
      const onEnd = () => {
        stop()
        resume(Effect.succeed(Option.some(Buffer.concat(chunks, size))))
      }
      const onError = (cause: unknown) => {
        stop()
        resume(Effect.die(failure(cause)))
      }
      body.on("data", onData).on("end", onEnd).on("error", onError)
      return Effect.sync(stop)
    }),
    (read) => (Option.isSome(read) ? Effect.void : Effect.addFinalizer(() => Effect.sync(() => body.destroy()))),
  )

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

const decodeError = (request: HttpServerRequest.HttpServerRequest, cause: unknown) =>
  new HttpServerError.RequestError({ request, reason: "Decode", cause })

const notMultipart = () => new Multipart.MultipartError({ reason: "Parse", cause: "not a multipart body" })

/**
 * The request with its body read, answering the platform's parsers from it: the JSON of the text
 * (a `RequestError` when it does not parse, an empty body too) or its form fields, with the media
 * type checked in its Content-Type. No multipart: that media type is refused before.
 */
class ReadRequest extends Inspectable.Class implements HttpServerRequest.HttpServerRequest {
  readonly [HttpServerRequest.TypeId]: HttpServerRequest.TypeId = HttpServerRequest.TypeId
  readonly [HttpIncomingMessage.TypeId]: HttpIncomingMessage.TypeId = HttpIncomingMessage.TypeId
  constructor(
    private readonly original: HttpServerRequest.HttpServerRequest,
    readonly headers: Headers.Headers,
    private readonly body: Buffer,
    private readonly bodyText: string,
  ) {
    super()
  }
  get source() {
    return this.original.source
  }
  get url() {
    return this.original.url
  }
  get originalUrl() {
    return this.original.originalUrl
  }
  get method() {
    return this.original.method
  }
  get cookies() {
    return this.original.cookies
  }
  get remoteAddress() {
    return this.original.remoteAddress
  }
  get upgrade() {
    return this.original.upgrade
  }
  get text() {
    return Effect.succeed(this.bodyText)
  }
  get json(): Effect.Effect<unknown, HttpServerError.RequestError> {
    return Effect.try({
      try: (): unknown => JSON.parse(this.bodyText),
      catch: (cause) => decodeError(this, cause),
    })
  }
  get urlParamsBody() {
    return Effect.succeed(UrlParams.fromInput(new URLSearchParams(this.bodyText)))
  }
  get arrayBuffer() {
    return Effect.succeed(new Uint8Array(this.body).buffer)
  }
  get stream() {
    return Stream.succeed(new Uint8Array(this.body))
  }
  get multipart() {
    return Effect.fail(notMultipart())
  }
  get multipartStream() {
    return Stream.fail(notMultipart())
  }
  modify(options: Parameters<HttpServerRequest.HttpServerRequest["modify"]>[0]): HttpServerRequest.HttpServerRequest {
    return new ReadRequest(this.original.modify(options), options.headers ?? this.headers, this.body, this.bodyText)
  }
  toJSON(): unknown {
    return HttpIncomingMessage.inspect(this, {
      _id: "@effect/platform/HttpServerRequest",
      method: this.method,
      url: this.originalUrl,
    })
  }
}

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

      const body = yield* readAtMost(bodyOf(request), maxBytes, (cause) => decodeError(request, cause))
      if (Option.isNone(body)) return yield* Effect.fail(tooLarge(maxBytes))
      const text = utf8.decode(body.value)
      if (mediaType === "application/json" && jsonDepthExceeds(text, MAX_JSON_DEPTH))
        return yield* Effect.fail(
          problem(BadRequest, "nesting_too_deep", `JSON may nest at most ${MAX_JSON_DEPTH} levels deep`),
        )
      const headers = Headers.set(request.headers, "content-type", mediaType)
      return yield* Effect.provideService(
        app,
        HttpServerRequest.HttpServerRequest,
        new ReadRequest(request, headers, body.value, text),
      )
    })
