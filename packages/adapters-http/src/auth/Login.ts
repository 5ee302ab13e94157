import { HttpApiSchema } from "@effect/platform"
import { PresentedPassword, User } from "@userkit/domain"
import { Schema } from "effect"

/**
 * A login as JSON, in the OAuth2 form's names: `username` is the account's email or username,
 * the domain's `Credentials.login`.
 */
const LoginJson = Schema.Struct({
  username: Schema.String.pipe(Schema.maxLength(254, { message: () => "username must be at most 254 characters" })),
  password: PresentedPassword,
}).annotations({ identifier: "Credentials" })

// Not bounded here: a union member that ignores unknown fields (Credentials) would accept the body
// anyway, so only the body limit bounds them. They are declared so the form documents them.
const extra = (description: string) => Schema.optional(Schema.String).annotations({ description })

/**
 * The OAuth2 password form (RFC 6749 §4.3.2) as OAuth2 clients send it, Swagger UI's Authorize
 * button among them: the credentials, and fields this API accepts and ignores (no client is
 * registered, no scope exists).
 */
const LoginForm = Schema.Struct({
  ...LoginJson.fields,
  grant_type: extra("Accepted and not checked: this endpoint only grants `password`"),
  scope: extra("Accepted and ignored: this API has no scopes"),
  client_id: extra("Accepted and ignored: no client registration"),
  client_secret: extra("Accepted and ignored: no client registration"),
}).pipe(HttpApiSchema.withEncoding({ kind: "UrlParams" }))

/** The OAuth2 password form, or the same credentials as JSON: the builder parses the body by its content type. */
export const LoginPayload = Schema.Union(LoginJson, LoginForm).annotations({ parseOptions: { errors: "all" } })

/** The OAuth2 token response (RFC 6749 §5.1), with the user it was issued to. */
export const AccessToken = Schema.Struct({
  access_token: Schema.Redacted(Schema.String),
  token_type: Schema.Literal("bearer"),
  expires_in: Schema.Int.annotations({ description: "Seconds until the access token expires" }),
  user: User,
}).annotations({ identifier: "AccessToken" })
export type AccessToken = typeof AccessToken.Type
