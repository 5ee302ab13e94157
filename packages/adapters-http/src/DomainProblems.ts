import type {
  EmailAlreadyRegistered,
  InactiveUser,
  InvalidCredentials,
  InvalidToken,
  UsernameTaken,
} from "@userkit/domain"
import { Conflict, problem, Unauthorized } from "./Problem.js"

export type DomainError = EmailAlreadyRegistered | UsernameTaken | InvalidCredentials | InactiveUser | InvalidToken

/**
 * The one answer to every authentication failure: whether the login, the password, the account's
 * state or the token was wrong is not told apart, so none of them can be probed.
 */
export const unauthorized = (): Unauthorized => problem(Unauthorized, "unauthorized", "Could not validate credentials")

/** Domain errors as problems: the only place a business failure gets an HTTP status. */
export function toProblem(error: EmailAlreadyRegistered | UsernameTaken): Conflict
export function toProblem(error: InvalidCredentials | InactiveUser | InvalidToken): Unauthorized
export function toProblem(error: DomainError): Conflict | Unauthorized {
  switch (error._tag) {
    case "EmailAlreadyRegistered":
      return problem(Conflict, "email_already_registered", "this email is already registered")
    case "UsernameTaken":
      return problem(Conflict, "username_taken", "this username is already taken")
    case "InvalidCredentials":
    case "InactiveUser":
    case "InvalidToken":
      return unauthorized()
  }
}
