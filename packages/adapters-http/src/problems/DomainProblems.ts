import { HttpApp, HttpServerResponse } from "@effect/platform"
import type * as Domain from "@userkit/domain"
import { MAX_OFFSET } from "@userkit/domain"
import { type Cause, Effect, Match } from "effect"
import { invalidPayload } from "./InvalidPayload.js"
import {
  BadRequest,
  Conflict,
  Forbidden,
  fieldProblem,
  NotFound,
  type Problem,
  problem,
  ServiceUnavailable,
  TooManyRequests,
  Unauthorized,
} from "./Problem.js"

// Instances of an exported class that is a tagged error; never for anything else the domain exports.
type TaggedErrorOf<Export> = Export extends abstract new (
  ...args: never
) => infer Instance
  ? Instance extends Cause.YieldableError & { readonly _tag: string }
    ? Instance
    : never
  : never

type Exports = typeof Domain

/**
 * Every tagged error the domain exports, derived: a new one is part of it, and so a compile error
 * below until the table maps it. `StoreUnavailable` and `Overloaded` are no business failures:
 * adapters raise them as defects and the edge answers them (see ProblemResponses.ts).
 */
export type DomainError = Exclude<
  { [K in keyof Exports]: TaggedErrorOf<Exports[K]> }[keyof Exports],
  Domain.StoreUnavailable | Domain.Overloaded
>

/**
 * The one answer to every authentication failure: whether the login, the password, the account's
 * state or the token was wrong is not told apart, so none of them can be probed.
 */
export const unauthorized = (): Unauthorized => problem(Unauthorized, "unauthorized", "Could not validate credentials")

/** Domain errors as problems: the only place a business failure gets an HTTP status. */
const domainProblems = {
  EmailAlreadyRegistered: () => problem(Conflict, "email_already_registered", "this email is already registered"),
  UsernameTaken: () => problem(Conflict, "username_taken", "this username is already taken"),
  LastActiveSuperuser: () =>
    problem(
      Conflict,
      "last_active_superuser",
      "this would leave no active superuser: make another account an active superuser first",
    ),
  InvalidCredentials: unauthorized,
  InactiveUser: unauthorized,
  InvalidToken: unauthorized,
  WrongPassword: () => problem(BadRequest, "wrong_password", "the current password is not correct"),
  // Told apart from other 401s: a client holding a refresh token learns to log in again, and one
  // whose token was reused learns that the session was ended because a copy of it was used.
  InvalidRefreshToken: () =>
    problem(Unauthorized, "invalid_refresh_token", "the refresh token is unknown, expired or revoked: log in again"),
  RefreshTokenReused: () =>
    problem(
      Unauthorized,
      "refresh_token_reused",
      "this refresh token was already used: its session has been ended, log in again",
    ),
  SessionNotFound: () => problem(NotFound, "session_not_found", "no such session"),
  // Answered as the schema answers a wrong field, by the same code: a client cannot tell (nor needs
  // to) whether the payload's schema or the password policy refused the password.
  PasswordRejected: (error: Domain.PasswordRejected) =>
    invalidPayload([{ _tag: "Refinement", path: [error.field], message: error.reason }]),
  UserNotFound: () => problem(NotFound, "user_not_found", "no such user"),
  Forbidden: () => problem(Forbidden, "forbidden", "only a superuser may do this"),
  HiddenField: (error: Domain.HiddenField) =>
    fieldProblem(
      "hidden_field",
      error.use === "sort" ? "#/sort" : `#/${error.field}`,
      `the directory does not show ${error.field}, so it cannot ${error.use} by it`,
    ),
  // The query schema names `page` or `skip` before this is reached; this answers other callers.
  // The seconds go in `Retry-After` too (see asProblems).
  RateLimited: (error: Domain.RateLimited) =>
    problem(TooManyRequests, "rate_limited", `too many attempts: try again in ${error.retryAfterSeconds} seconds`),
  // Told apart: a user who followed an old link learns to ask for a new one, and why.
  TokenInvalid: () =>
    problem(
      BadRequest,
      "token_invalid",
      "this link is not valid (it may have been replaced by a newer one): ask for a new one",
    ),
  TokenUsed: () => problem(BadRequest, "token_used", "this link has already been used: ask for a new one"),
  TokenExpired: () => problem(BadRequest, "token_expired", "this link has expired: ask for a new one"),
  EmailAlreadyVerified: () => problem(Conflict, "email_already_verified", "this email address is already verified"),
  EmailNotVerified: () =>
    problem(
      Forbidden,
      "email_not_verified",
      "verify your email address before logging in: follow the link mailed to it (a new one is on its way, unless one was sent a moment ago)",
    ),
  MailUnavailable: () =>
    problem(
      ServiceUnavailable,
      "mail_unavailable",
      "this service cannot send email (no SMTP_URL is configured), so it cannot send the link; tell its operator",
    ),
  // Never answered: mail goes out in the background. Mapped because the domain exports it.
  MailNotSent: () => problem(ServiceUnavailable, "mail_unavailable", "the mail could not be sent; retry later"),
  CurrentPasswordRequired: () =>
    fieldProblem(
      "current_password_required",
      "#/current_password",
      "changing the email needs current_password: the account's password",
    ),
  PageTooDeep: () =>
    fieldProblem(
      "page_too_deep",
      "#/page",
      `an offset reaches at most ${MAX_OFFSET} rows deep: to go deeper, pass the previous page's next_cursor as after`,
    ),
} satisfies { readonly [Tag in DomainError["_tag"]]: (error: Extract<DomainError, { readonly _tag: Tag }>) => Problem }

/** The problem a domain error becomes, read off the table (distributes over a union of errors). */
export type ProblemFor<E extends DomainError> = ReturnType<(typeof domainProblems)[E["_tag"]]>

/** A domain error as its problem. */
export function toProblem<E extends DomainError>(error: E): ProblemFor<E>
// The table's entry for the error's tag is what `ProblemFor` reads; TypeScript cannot follow a
// generic error to its entry, so the implementation's own signature is the table's union.
export function toProblem(error: DomainError): Problem {
  return Match.valueTags(error, domainProblems)
}

const isRateLimited = (error: DomainError): error is Domain.RateLimited => error._tag === "RateLimited"

/** `Retry-After` on the answer, in whole seconds (RFC 9110 §10.2.3). */
const retryAfter = (seconds: number) =>
  HttpApp.appendPreResponseHandler((_request, response) =>
    Effect.succeed(HttpServerResponse.setHeader(response, "retry-after", String(seconds))),
  )

/**
 * A use case's effect as a handler answers it: each domain error it can fail with becomes its
 * problem; a refusal for too many attempts also says, in `Retry-After`, when to try again.
 */
export const asProblems = <A, E extends DomainError, R>(
  useCase: Effect.Effect<A, E, R>,
): Effect.Effect<A, ProblemFor<E>, R> =>
  useCase.pipe(
    Effect.tapError((error) => (isRateLimited(error) ? retryAfter(error.retryAfterSeconds) : Effect.void)),
    Effect.mapError((error) => toProblem(error)),
  )
