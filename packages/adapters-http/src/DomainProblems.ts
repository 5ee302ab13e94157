import type * as Domain from "@userkit/domain"
import { MAX_OFFSET } from "@userkit/domain"
import {
  BadRequest,
  Conflict,
  Forbidden,
  NotFound,
  type Problem,
  problem,
  problemType,
  Unauthorized,
  UnprocessableContent,
} from "./Problem.js"

export type DomainError =
  | Domain.EmailAlreadyRegistered
  | Domain.UsernameTaken
  | Domain.LastActiveSuperuser
  | Domain.InvalidCredentials
  | Domain.InactiveUser
  | Domain.InvalidToken
  | Domain.WrongPassword
  | Domain.UserNotFound
  | Domain.Forbidden
  | Domain.HiddenField
  | Domain.PageTooDeep

/** The problem class each domain error becomes (distributes over a union of errors). */
export type ProblemFor<E extends DomainError> = E extends
  | Domain.EmailAlreadyRegistered
  | Domain.UsernameTaken
  | Domain.LastActiveSuperuser
  ? Conflict
  : E extends Domain.InvalidCredentials | Domain.InactiveUser | Domain.InvalidToken
    ? Unauthorized
    : E extends Domain.WrongPassword
      ? BadRequest
      : E extends Domain.UserNotFound
        ? NotFound
        : E extends Domain.Forbidden
          ? Forbidden
          : UnprocessableContent

/**
 * The one answer to every authentication failure: whether the login, the password, the account's
 * state or the token was wrong is not told apart, so none of them can be probed.
 */
export const unauthorized = (): Unauthorized => problem(Unauthorized, "unauthorized", "Could not validate credentials")

const fieldProblem = (code: string, pointer: string, detail: string) =>
  new UnprocessableContent({ type: problemType(code), code, detail, errors: [{ pointer, detail }] })

/** Domain errors as problems: the only place a business failure gets an HTTP status. */
export function toProblem<E extends DomainError>(error: E): ProblemFor<E>
export function toProblem(error: DomainError): Problem {
  switch (error._tag) {
    case "EmailAlreadyRegistered":
      return problem(Conflict, "email_already_registered", "this email is already registered")
    case "UsernameTaken":
      return problem(Conflict, "username_taken", "this username is already taken")
    case "LastActiveSuperuser":
      return problem(
        Conflict,
        "last_active_superuser",
        "this would leave no active superuser: make another account an active superuser first",
      )
    case "InvalidCredentials":
    case "InactiveUser":
    case "InvalidToken":
      return unauthorized()
    case "WrongPassword":
      return problem(BadRequest, "wrong_password", "the current password is not correct")
    case "UserNotFound":
      return problem(NotFound, "user_not_found", "no such user")
    case "Forbidden":
      return problem(Forbidden, "forbidden", "only a superuser may do this")
    case "HiddenField":
      return fieldProblem(
        "hidden_field",
        error.use === "sort" ? "#/sort" : `#/${error.field}`,
        `the directory does not show ${error.field}, so it cannot ${error.use} by it`,
      )
    case "PageTooDeep":
      // The query schema names `page` or `skip` before this is reached; this answers other callers.
      return fieldProblem(
        "page_too_deep",
        "#/page",
        `an offset reaches at most ${MAX_OFFSET} rows deep: to go deeper, pass the previous page's next_cursor as after`,
      )
  }
}
