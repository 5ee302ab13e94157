import { HttpApiError, HttpServerError, HttpServerResponse } from "@effect/platform"
import { Overloaded, StoreUnavailable } from "@userkit/domain"
import { Cause, Effect, Option } from "effect"
import { scrub, summarize } from "./ErrorSummary.js"
import { invalidPayload } from "./InvalidPayload.js"
import {
  BadRequest,
  InternalServerError,
  isProblem,
  NotFound,
  type Problem,
  problem,
  problemBody,
  ServiceUnavailable,
} from "./Problem.js"

export const internalError = () => problem(InternalServerError, "internal_error", "an unexpected error occurred")

export const malformedBody = () => problem(BadRequest, "malformed_body", "the request body could not be parsed")

const storeUnavailable = () =>
  problem(ServiceUnavailable, "store_unavailable", "the service cannot reach its data store right now; retry later")

const overloaded = () =>
  problem(ServiceUnavailable, "overloaded", "the service has too many requests in hand right now; retry later")

/** `GET /ready`'s answer while the service cannot take traffic, saying why. */
export const notReady = (reason: string) => problem(ServiceUnavailable, "not_ready", reason)

/** How long a 503 asks clients to wait: about what the pool takes to fail a connection and try again. */
export const RETRY_AFTER_SECONDS = 5

const fromFailure = (error: unknown): Problem => {
  if (isProblem(error)) return error
  if (error instanceof HttpApiError.HttpApiDecodeError) return invalidPayload(error.issues)
  if (HttpServerError.isServerError(error) && error._tag === "RouteNotFound")
    return problem(NotFound, "not_found", "no resource matches this method and path")
  return internalError()
}

// The platform reads bodies with `orDie`: an unparsable body arrives here as a RequestError defect.
const fromDefect = (defect: unknown): Problem =>
  HttpServerError.isServerError(defect) && defect._tag === "RequestError" ? malformedBody() : internalError()

/** The error of class `Class` behind a failure, if that is what it is: adapters raise it as a defect. */
const behind =
  <E>(Class: abstract new (...args: never) => E) =>
  (cause: Cause.Cause<unknown>): Option.Option<E> =>
    Option.filter(
      Option.orElse(Cause.dieOption(cause), () => Cause.failureOption(cause)),
      (error): error is E => error instanceof Class,
    )

/** The store outage behind a failure, if that is what it is. */
const outageOf = behind(StoreUnavailable)

/** The full queue of a bounded resource (bcrypt) behind a failure, if that is what it is. */
const overloadOf = behind(Overloaded)

const fromCause = (cause: Cause.Cause<unknown>): Problem =>
  Option.isSome(outageOf(cause))
    ? storeUnavailable()
    : Option.isSome(overloadOf(cause))
      ? overloaded()
      : Option.match(Cause.failureOption(cause), {
          onSome: fromFailure,
          onNone: () => Option.match(Cause.dieOption(cause), { onSome: fromDefect, onNone: internalError }),
        })

/**
 * What the log says about a failure answered `answer`: an outage or an overload is expected while it
 * lasts, one line per request, so a warning without a stack; anything else answered 500 is an error, summarized
 * without values (a pg `detail` or a parse error would quote a row).
 */
const logFor = (cause: Cause.Cause<unknown>, answer: Problem): Effect.Effect<void> =>
  Option.match(outageOf(cause), {
    onSome: (outage) =>
      Effect.logWarning("store unavailable").pipe(
        Effect.annotateLogs({ store: outage.store, reason: scrub(outage.reason) }),
      ),
    onNone: () =>
      Option.match(overloadOf(cause), {
        onSome: (overload) =>
          Effect.logWarning("overloaded").pipe(Effect.annotateLogs({ resource: overload.resource })),
        onNone: () =>
          answer instanceof InternalServerError
            ? Effect.logError("unexpected failure").pipe(Effect.annotateLogs("error", summarize(cause)))
            : Effect.void,
      }),
  })

const headersFor = (p: Problem): Record<string, string> =>
  p.status === 401
    ? { "www-authenticate": "Bearer" }
    : // The rest of an over-long body may be unread: do not keep the connection for another request.
      p.status === 413
      ? { connection: "close" }
      : {}

// Every 503, the handlers' own (GET /ready) too, says when to try again.
const withRetryAfter = (response: HttpServerResponse.HttpServerResponse) =>
  response.status === 503 && response.headers["retry-after"] === undefined
    ? HttpServerResponse.setHeader(response, "retry-after", String(RETRY_AFTER_SECONDS))
    : response

const problemResponse = (p: Problem): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(problemBody(p), {
    status: p.status,
    contentType: "application/problem+json",
    headers: headersFor(p),
  })

/**
 * Every failure and defect, declared or not, answered as problem+json: the one place they are
 * mapped. A store outage (`StoreUnavailable`) and a full hashing queue (`Overloaded`) are 503s with
 * `Retry-After`.
 */
export const problemResponses = <E, R>(
  app: Effect.Effect<HttpServerResponse.HttpServerResponse, E, R>,
): Effect.Effect<HttpServerResponse.HttpServerResponse, never, R> =>
  Effect.catchAllCause(app, (cause) => {
    // An interrupted request (the client went away) has no one to answer.
    if (Cause.isInterruptedOnly(cause)) return Effect.failCause(Cause.stripFailures(cause))
    const answer = fromCause(cause)
    return Effect.as(logFor(cause, answer), problemResponse(answer))
  }).pipe(Effect.map(withRetryAfter))
