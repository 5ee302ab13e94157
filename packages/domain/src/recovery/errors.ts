import { Schema } from "effect"

/** The emailed token is not one: mistyped, replaced by a newer one, or its account gone or changed. */
export class TokenInvalid extends Schema.TaggedError<TokenInvalid>()("TokenInvalid", {}) {
  override get message() {
    return "this link is not valid: it may have been replaced by a newer one; ask for a new one"
  }
}

/** The emailed token worked once already; it will not again. */
export class TokenUsed extends Schema.TaggedError<TokenUsed>()("TokenUsed", {}) {
  override get message() {
    return "this link has already been used; ask for a new one"
  }
}

/** The emailed token was not used in time. */
export class TokenExpired extends Schema.TaggedError<TokenExpired>()("TokenExpired", {}) {
  override get message() {
    return "this link has expired; ask for a new one"
  }
}

/** The account's address is verified already: no link to send. */
export class EmailAlreadyVerified extends Schema.TaggedError<EmailAlreadyVerified>()("EmailAlreadyVerified", {}) {
  override get message() {
    return "this email address is already verified"
  }
}

/** Logins need a verified address (REQUIRE_EMAIL_VERIFICATION), and this account's is not yet. */
export class EmailNotVerified extends Schema.TaggedError<EmailNotVerified>()("EmailNotVerified", {}) {
  override get message() {
    return "verify your email address before logging in: follow the link mailed to it (a new one is on its way, unless one was sent a moment ago)"
  }
}
