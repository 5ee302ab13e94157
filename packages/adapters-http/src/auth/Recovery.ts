import { Email, Password } from "@userkit/domain"
import { Schema } from "effect"

// An emailed token is 43 characters; anything far longer is refused before it is hashed.
const TokenField = Schema.Redacted(
  Schema.String.pipe(Schema.maxLength(256, { message: () => "token must be at most 256 characters" })),
).annotations({ description: "The `token` parameter of the link that was mailed" })

export const ForgotPassword = Schema.Struct({ email: Email }).annotations({
  identifier: "ForgotPassword",
  parseOptions: { onExcessProperty: "error" },
})

export const ResetPassword = Schema.Struct({ token: TokenField, new_password: Password }).annotations({
  identifier: "ResetPassword",
  parseOptions: { onExcessProperty: "error" },
})

export const VerifyEmail = Schema.Struct({ token: TokenField }).annotations({
  identifier: "VerifyEmail",
  parseOptions: { onExcessProperty: "error" },
})

/** What a request that mails a link answers, whatever happens after: the same words, always. */
export const Accepted = Schema.Struct({ detail: Schema.String }).annotations({ identifier: "Accepted" })

export const resetRequested = {
  detail: "If an active account has this email address, a link to reset its password is on its way.",
}
export const verificationRequested = { detail: "A link to verify your email address is on its way." }
