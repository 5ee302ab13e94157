import { Schema } from "effect"

/** Wrong login or wrong password: deliberately one error, so neither is told apart. */
export class InvalidCredentials extends Schema.TaggedError<InvalidCredentials>()("InvalidCredentials", {}) {
  override get message() {
    return "incorrect login or password"
  }
}

/** The account exists and the password was right, but the account is deactivated. */
export class InactiveUser extends Schema.TaggedError<InactiveUser>()("InactiveUser", {}) {
  override get message() {
    return "this account is inactive"
  }
}

/** A missing, malformed, expired, foreign or revoked access token, or one whose user is gone. */
export class InvalidToken extends Schema.TaggedError<InvalidToken>()("InvalidToken", {}) {
  override get message() {
    return "the access token is missing, invalid or expired"
  }
}

/** The current password given to authorize a change was not the account's password. */
export class WrongPassword extends Schema.TaggedError<WrongPassword>()("WrongPassword", {}) {
  override get message() {
    return "the current password is not correct"
  }
}
