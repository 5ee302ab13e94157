import type * as Domain from "@userkit/domain"
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
  | Domain.InvalidCursor

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

const invalidCursor = "the cursor is not valid for this listing: start again without `after`"

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
    case "InvalidCursor":
      return new UnprocessableContent({
        type: problemType("invalid_cursor"),
        code: "invalid_cursor",
        detail: invalidCursor,
        errors: [{ pointer: "#/after", detail: invalidCursor }],
      })
  }
}
