import { HttpApiEndpoint, HttpApiGroup, HttpApiSchema, OpenApi } from "@effect/platform"
import { Credentials, Registration, User } from "@userkit/domain"
import { Schema } from "effect"
import { Authentication } from "./Authentication.js"
import { RouteNote } from "./middleware/RouteNote.js"
import {
  BadRequest,
  Conflict,
  ContentTooLarge,
  Unauthorized,
  UnprocessableContent,
  UnsupportedMediaType,
} from "./Problem.js"

/** The OAuth2 token response (RFC 6749 §5.1), with the user it was issued to. */
export const AccessToken = Schema.Struct({
  access_token: Schema.Redacted(Schema.String),
  token_type: Schema.Literal("bearer"),
  expires_in: Schema.Int.annotations({ description: "Seconds until the access token expires" }),
  user: User,
}).annotations({ identifier: "AccessToken" })
export type AccessToken = typeof AccessToken.Type

/**
 * The payload reports every wrong field, not only the first: parse options on an outer schema flow
 * down and merge with the domain schema's own (Registration refuses unknown fields).
 */
const reportingAllErrors = <A, I, R>(schema: Schema.Schema<A, I, R>): Schema.Schema<A, I, R> =>
  Schema.suspend(() => schema).annotations({ parseOptions: { errors: "all" } })

// The OAuth2 password form and the same fields as JSON: the builder parses the body by its content type.
const LoginPayload = Schema.Union(
  Credentials,
  Credentials.pipe(HttpApiSchema.withEncoding({ kind: "UrlParams" })),
).annotations({ parseOptions: { errors: "all" } })

const register = HttpApiEndpoint.post("register", "/auth/register")
  .setPayload(reportingAllErrors(Registration))
  .addSuccess(User, { status: 201 })
  .addError(Conflict, { status: 409 })
  .addError(BadRequest, { status: 400 })
  .addError(ContentTooLarge, { status: 413 })
  .addError(UnsupportedMediaType, { status: 415 })
  .addError(UnprocessableContent, { status: 422 })
  .annotate(OpenApi.Summary, "Open an account")
  .annotate(OpenApi.Description, "Creates an active, unprivileged user. Email and username are unique ignoring case.")

const login = HttpApiEndpoint.post("login", "/auth/login")
  .setPayload(LoginPayload)
  .addSuccess(AccessToken)
  .addError(Unauthorized, { status: 401 })
  .addError(BadRequest, { status: 400 })
  .addError(ContentTooLarge, { status: 413 })
  .addError(UnsupportedMediaType, { status: 415 })
  .addError(UnprocessableContent, { status: 422 })
  .annotate(OpenApi.Summary, "Log in")
  .annotate(
    OpenApi.Description,
    "OAuth2 password grant: `username` is the account's email or username. Answers a bearer access token. " +
      "A wrong login, a wrong password and an inactive account all get the same 401.",
  )

const me = HttpApiEndpoint.get("me", "/auth/me")
  .addSuccess(User)
  .middleware(Authentication)
  .annotate(OpenApi.Summary, "The caller's profile")
  .annotate(OpenApi.Description, "The user the bearer token was issued to.")

export class AuthApi extends HttpApiGroup.make("auth")
  .add(register)
  .add(login)
  .add(me)
  .prefix("/api/v1")
  .middleware(RouteNote)
  .annotate(OpenApi.Title, "Authentication")
  .annotate(OpenApi.Description, "Open an account, log in, and see who you are") {}
