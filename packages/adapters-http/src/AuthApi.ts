import { HttpApiEndpoint, HttpApiGroup, OpenApi } from "@effect/platform"
import { EmailAlreadyRegistered, Registration, User } from "@userkit/domain"
import { Schema } from "effect"
import { Authentication } from "./Authentication.js"
import { toProblem } from "./DomainProblems.js"
import { aRegistration, aUser, someCredentials } from "./Examples.js"
import { problemBody } from "./middleware/Problems.js"
import { RouteNote } from "./middleware/RouteNote.js"
import { documented } from "./OpenApiExamples.js"
import { LoginPayload, reportingAllErrors } from "./Payloads.js"
import { BodyProblems, Conflict, Unauthorized } from "./Problem.js"

/** The OAuth2 token response (RFC 6749 §5.1), with the user it was issued to. */
export const AccessToken = Schema.Struct({
  access_token: Schema.Redacted(Schema.String),
  token_type: Schema.Literal("bearer"),
  expires_in: Schema.Int.annotations({ description: "Seconds until the access token expires" }),
  user: User,
}).annotations({ identifier: "AccessToken" })
export type AccessToken = typeof AccessToken.Type

const register = HttpApiEndpoint.post("register", "/auth/register")
  .setPayload(reportingAllErrors(Registration))
  .addSuccess(User, { status: 201 })
  .addError(Conflict)
  .addError(BodyProblems)
  .annotateContext(
    documented({
      summary: "Open an account",
      description: "Creates an active, unprivileged user. Email and username are unique ignoring case.",
      request: aRegistration,
      responses: { 201: aUser, 409: problemBody(toProblem(new EmailAlreadyRegistered())) },
    }),
  )

const login = HttpApiEndpoint.post("login", "/auth/login")
  .setPayload(LoginPayload)
  .addSuccess(AccessToken)
  .addError(Unauthorized)
  .addError(BodyProblems)
  .annotateContext(
    documented({
      summary: "Log in",
      description:
        "OAuth2 password grant: `username` is the account's email or username. Answers a bearer access token. " +
        "A wrong login, a wrong password and an inactive account all get the same 401. The form may carry " +
        "`grant_type`, `scope`, `client_id` and `client_secret` as OAuth2 clients send them; they are ignored.",
      request: someCredentials,
      responses: {
        200: {
          access_token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTk0In0.c2lnbmF0dXJl",
          token_type: "bearer",
          expires_in: 900,
          user: aUser,
        },
      },
    }),
  )

const me = HttpApiEndpoint.get("me", "/auth/me")
  .addSuccess(User)
  .middleware(Authentication)
  .annotateContext(
    documented({
      summary: "The caller's profile",
      description: "The user the bearer token was issued to, email and account flags included.",
      responses: { 200: aUser },
    }),
  )

export class AuthApi extends HttpApiGroup.make("auth")
  .add(register)
  .add(login)
  .add(me)
  .prefix("/api/v1")
  .middleware(RouteNote)
  .annotate(OpenApi.Title, "Authentication")
  .annotate(OpenApi.Description, "Open an account, log in, and see who you are") {}
