import { HttpApiSchema } from "@effect/platform"
import { PresentedPassword, type Session, SessionId, User } from "@userkit/domain"
import { DateTime, Schema } from "effect"

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

/** The OAuth2 token response (RFC 6749 §5.1), with the refresh token and the user it was issued to. */
export const AccessToken = Schema.Struct({
  access_token: Schema.Redacted(Schema.String),
  token_type: Schema.Literal("bearer"),
  expires_in: Schema.Int.annotations({ description: "Seconds until the access token expires" }),
  refresh_token: Schema.Redacted(Schema.String).annotations({
    description: "Opaque; trade it at POST /auth/refresh for a new pair. Each one is good for one refresh",
  }),
  refresh_expires_in: Schema.Int.annotations({
    description: "Seconds until the session ends unless refreshed (idle timeout, or the absolute lifetime if sooner)",
  }),
  user: User,
}).annotations({ identifier: "AccessToken" })

// A refresh token is 43 characters; anything far longer is refused before it is hashed.
const RefreshTokenField = Schema.Redacted(
  Schema.String.pipe(Schema.maxLength(256, { message: () => "refresh_token must be at most 256 characters" })),
)

/** A refresh as JSON: the refresh token. */
const RefreshJson = Schema.Struct({ refresh_token: RefreshTokenField }).annotations({ identifier: "RefreshRequest" })

/** A refresh as the OAuth2 form (RFC 6749 §6): `grant_type=refresh_token&refresh_token=...`. */
const RefreshForm = Schema.Struct({
  grant_type: Schema.Literal("refresh_token"),
  refresh_token: RefreshTokenField,
  scope: extra("Accepted and ignored: this API has no scopes"),
  client_id: extra("Accepted and ignored: no client registration"),
  client_secret: extra("Accepted and ignored: no client registration"),
}).pipe(HttpApiSchema.withEncoding({ kind: "UrlParams" }))

export const RefreshPayload = Schema.Union(RefreshJson, RefreshForm).annotations({ parseOptions: { errors: "all" } })

/** Which sessions a logout ends. */
export const LogoutPayload = Schema.Struct({
  scope: Schema.optionalWith(Schema.Literal("local", "others", "global"), {
    default: () => "local" as const,
  }).annotations({
    description: "`local` (default): this session; `others`: every other session; `global`: all of them",
  }),
}).annotations({ identifier: "LogoutRequest", parseOptions: { onExcessProperty: "error" } })

/** A live session, as its owner (or an administrator) sees it. */
export const SessionInfo = Schema.Struct({
  id: SessionId,
  created_at: Schema.DateTimeUtc,
  last_used_at: Schema.DateTimeUtc,
  expires_at: Schema.DateTimeUtc.annotations({ description: "When it ends unless used: idle or absolute, the sooner" }),
  user_agent: Schema.NullOr(Schema.String),
  ip_address: Schema.String,
  current: Schema.Boolean.annotations({ description: "Whether the request came in this session" }),
}).annotations({ identifier: "Session" })
export type SessionInfo = typeof SessionInfo.Type

/** A session as the API shows it; `current` when the request came in it. */
export const sessionInfo = (session: Session, current: boolean): SessionInfo => ({
  id: session.id,
  created_at: session.createdAt,
  last_used_at: session.lastUsedAt,
  expires_at: DateTime.min(session.idleExpiresAt, session.absoluteExpiresAt),
  user_agent: session.userAgent,
  ip_address: session.address,
  current,
})
export type AccessToken = typeof AccessToken.Type
