import { HttpApiError, HttpServerError, HttpServerResponse } from "@effect/platform"
import { StoreUnavailable } from "@userkit/domain"
import { Cause, Effect, Option } from "effect"
import {
  BadRequest,
  type FieldError,
  InternalServerError,
  isProblem,
  NotFound,
  type Problem,
  problem,
  problemType,
  ServiceUnavailable,
  UnprocessableContent,
} from "../Problem.js"
import { scrub, summarize } from "./ErrorSummary.js"

// Default schema messages end in ", actual <the value sent>": cut, so no submitted value (a password) is echoed.
const withoutValue = (message: string): string => message.split(", actual ")[0] ?? message

const pointer = (path: ReadonlyArray<PropertyKey>): string =>
  ["#", ...path.map((key) => String(key).replaceAll("~", "~0").replaceAll("/", "~1"))].join("/")

// A body of thousands of unknown keys must not buy an answer larger than itself.
const MAX_FIELD_ERRORS = 20

// What an optional or nullable field also accepts: noise next to what was actually wrong with it.
const alternatives: ReadonlySet<string> = new Set(["Expected null", "Expected undefined"])

const messageOf = (issue: HttpApiError.HttpApiDecodeError["issues"][number]): string =>
  // Every payload is an object; at the root, the schema's own description would only confuse.
  issue.path.length === 0 && issue._tag === "Type" ? "the request body must be an object" : withoutValue(issue.message)

/** A schema failure as a 422 naming each wrong field once, with what is wrong with it. */
export const invalidPayload = (issues: HttpApiError.HttpApiDecodeError["issues"]): UnprocessableContent => {
  const byPointer = new Map<string, Array<string>>()
  for (const issue of issues) {
    const at = pointer(issue.path)
    const messages = byPointer.get(at) ?? []
    const message = messageOf(issue)
    if (!messages.includes(message)) messages.push(message)
    byPointer.set(at, messages)
  }
  const errors: ReadonlyArray<FieldError> = Array.from(byPointer, ([at, messages]) => {
    const relevant = messages.filter((message) => !alternatives.has(message))
    return { pointer: at, detail: (relevant.length > 0 ? relevant : messages).join("; ") }
  }).slice(0, MAX_FIELD_ERRORS)
  const more = byPointer.size > errors.length ? [`and ${byPointer.size - errors.length} more`] : []
  const detail = [
    ...errors.map((e) => (e.pointer === "#" ? e.detail : `${e.pointer.slice(2)}: ${e.detail}`)),
    ...more,
  ].join("; ")
  return new UnprocessableContent({ type: problemType("invalid_request"), code: "invalid_request", detail, errors })
}

export const internalError = () => problem(InternalServerError, "internal_error", "an unexpected error occurred")

export const storeUnavailable = () =>
  problem(ServiceUnavailable, "store_unavailable", "the service cannot reach its data store right now; retry later")

/** How long a 503 asks clients to wait: about what the pool takes to fail a connection and try again. */
export const RETRY_AFTER_SECONDS = 5

const fromFailure = (error: unknown): Problem => {
  if (isProblem(error)) return error
  if (error instanceof HttpApiError.HttpApiDecodeError) return invalidPayload(error.issues)
  if (HttpServerError.isServerError(error) && error._tag === "RouteNotFound")
    return problem(NotFound, "not_found", "no resource matches this method and path")
  return internalError()
}

export const malformedBody = () => problem(BadRequest, "malformed_body", "the request body could not be parsed")

// The platform reads bodies with `orDie`: an unparsable body arrives here as a RequestError defect.
const fromDefect = (defect: unknown): Problem =>
  HttpServerError.isServerError(defect) && defect._tag === "RequestError" ? malformedBody() : internalError()

/** The store outage behind a failure, if that is what it is: adapters raise it as a defect. */
const outageOf = (cause: Cause.Cause<unknown>): Option.Option<StoreUnavailable> =>
  Option.filter(
    Option.orElse(Cause.dieOption(cause), () => Cause.failureOption(cause)),
    (error): error is StoreUnavailable => error instanceof StoreUnavailable,
  )

export const fromCause = (cause: Cause.Cause<unknown>): Problem =>
  Option.isSome(outageOf(cause))
    ? storeUnavailable()
    : Option.match(Cause.failureOption(cause), {
        onSome: fromFailure,
        onNone: () => Option.match(Cause.dieOption(cause), { onSome: fromDefect, onNone: internalError }),
      })

/**
 * What the log says about a failure answered `answer`: an outage is expected while it lasts, one line
 * per request, so a warning without a stack; anything else answered 500 is an error, summarized
 * without values (a pg `detail` or a parse error would quote a row).
 */
const logFor = (cause: Cause.Cause<unknown>, answer: Problem): Effect.Effect<void> =>
  Option.match(outageOf(cause), {
    onSome: (outage) =>
      Effect.logWarning("store unavailable").pipe(
        Effect.annotateLogs({ store: outage.store, reason: scrub(outage.reason) }),
      ),
    onNone: () =>
      answer instanceof InternalServerError
        ? Effect.logError("unexpected failure").pipe(Effect.annotateLogs("error", summarize(cause)))
        : Effect.void,
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

/** A problem as the JSON it is answered with (and documented by). */
export const problemBody = (p: Problem) => ({
  type: p.type,
  title: p.title,
  status: p.status,
  detail: p.detail,
  code: p.code,
  ...(p instanceof UnprocessableContent ? { errors: p.errors } : {}),
})

export const problemResponse = (p: Problem): HttpServerResponse.HttpServerResponse =>
  HttpServerResponse.unsafeJson(problemBody(p), {
    status: p.status,
    contentType: "application/problem+json",
    headers: headersFor(p),
  })

/**
 * Every failure and defect, declared or not, answered as problem+json: the one place they are
 * mapped. A store outage (`StoreUnavailable`) is a 503 with `Retry-After`.
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
