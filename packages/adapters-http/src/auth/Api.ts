import { HttpApiEndpoint, HttpApiSchema } from "@effect/platform"
import { Registration, User } from "@userkit/domain"
import { Schema } from "effect"
import { group } from "../edge/RouteNote.js"
import { documented } from "../openapi/Documented.js"
import * as Examples from "../openapi/Examples.js"
import { reportingAllErrors } from "../problems/InvalidPayload.js"
import {
  BadRequest,
  BodyProblems,
  Conflict,
  Forbidden,
  NotFound,
  ServiceUnavailable,
  TooManyRequests,
  Unauthorized,
} from "../problems/Problem.js"
import { Authentication } from "../security/Authentication.js"
import { AccessToken, LoginPayload, LogoutPayload, RefreshPayload, SessionInfo } from "./Login.js"
import {
  Accepted,
  ForgotPassword,
  ResetPassword,
  resetRequested,
  VerifyEmail,
  verificationRequested,
} from "./Recovery.js"
import { SessionIdPath } from "./SessionIdPath.js"

const register = HttpApiEndpoint.post("register", "/auth/register")
  .setPayload(reportingAllErrors(Registration))
  .addSuccess(User, { status: 201 })
  .addError(Conflict)
  .addError(BodyProblems)
  .addError(TooManyRequests)
  .annotateContext(
    documented({
      summary: "Open an account",
      description:
        "Creates an active, unprivileged user. Email and username are unique ignoring case. Sign-ups are " +
        "limited per client address (429 `rate_limited` with `Retry-After`).",
      request: Examples.aRegistration,
      responses: { 201: Examples.aUser, 409: Examples.emailTaken },
    }),
  )

const login = HttpApiEndpoint.post("login", "/auth/login")
  .setPayload(LoginPayload)
  .addSuccess(AccessToken)
  .addError(Unauthorized)
  .addError(Forbidden)
  .addError(BodyProblems)
  .addError(TooManyRequests)
  .annotateContext(
    documented({
      summary: "Log in",
      description:
        "OAuth2 password grant: `username` is the account's email or username. Answers a bearer access token. " +
        "A wrong login, a wrong password and an inactive account all get the same 401. The form may carry " +
        "`grant_type`, `scope`, `client_id` and `client_secret` as OAuth2 clients send them; they are ignored. " +
        "Sign-ins are limited per client address, and after a few failed guesses at one account its next " +
        "attempts wait a growing delay, from any address but those it logged in from before: both answer 429 " +
        "`rate_limited` with `Retry-After`, alike for an account that exists and one that does not. With " +
        "REQUIRE_EMAIL_VERIFICATION, an account whose address is not verified yet gets a 403 `email_not_verified` " +
        "(the password was right).",
      request: Examples.someCredentials,
      responses: { 200: Examples.anAccessToken },
    }),
  )

const refresh = HttpApiEndpoint.post("refresh", "/auth/refresh")
  .setPayload(RefreshPayload)
  .addSuccess(AccessToken)
  .addError(Unauthorized)
  .addError(Forbidden)
  .addError(BodyProblems)
  .addError(TooManyRequests)
  .annotateContext(
    documented({
      summary: "Refresh the tokens",
      description:
        "Trades a refresh token for a new access token and refresh token (the login's answer), as JSON " +
        "`{refresh_token}` or the OAuth2 form `grant_type=refresh_token&refresh_token=...`. The token presented is " +
        "retired: presented again within the reuse window (10 s by default: two tabs, a retried request), it " +
        "answers the same new pair; presented later, it is taken as stolen, its session is ended with every " +
        "token of it, and the answer is a 401 `refresh_token_reused`. An unknown, expired or revoked token " +
        "is a 401 `invalid_refresh_token`. With REQUIRE_EMAIL_VERIFICATION, an account whose address is not " +
        "verified (it changed since the login) gets a 403 `email_not_verified`. Limited per client address (429).",
      request: Examples.aRefresh,
      responses: { 200: Examples.anAccessToken, 401: Examples.refreshTokenReused },
    }),
  )

const logout = HttpApiEndpoint.post("logout", "/auth/logout")
  .setPayload(LogoutPayload)
  .addSuccess(HttpApiSchema.NoContent)
  .addError(BodyProblems)
  .middleware(Authentication)
  .annotateContext(
    documented({
      summary: "Log out",
      description:
        "Ends this session (`local`, the default), every other session of the account (`others`), or all of " +
        "them (`global`). Their refresh tokens stop working at once, and so do their access tokens here; a " +
        "service that only verifies the JWT sees an access token until it expires.",
      request: Examples.aLogout,
    }),
  )

const sessions = HttpApiEndpoint.get("sessions", "/auth/sessions")
  .addSuccess(Schema.Array(SessionInfo))
  .middleware(Authentication)
  .annotateContext(
    documented({
      summary: "Your sessions",
      description:
        "The caller's live sessions, most recently used first; `current` marks the one this request came in.",
      responses: { 200: Examples.someSessions },
    }),
  )

const revokeSession = HttpApiEndpoint.del("revokeSession", "/auth/sessions/:id")
  .setPath(SessionIdPath)
  .addSuccess(HttpApiSchema.NoContent)
  .addError(NotFound)
  .middleware(Authentication)
  .annotateContext(
    documented({
      summary: "End one of your sessions",
      description:
        "Ends the session, its refresh token and its access tokens. Another user's session is a 404, as is an unknown id.",
      parameters: Examples.sessionIdParameter,
      responses: { 404: Examples.sessionNotFound },
    }),
  )

const me = HttpApiEndpoint.get("me", "/auth/me")
  .addSuccess(User)
  .middleware(Authentication)
  .annotateContext(
    documented({
      summary: "The caller's profile",
      description: "The user the bearer token was issued to, email and account flags included.",
      responses: { 200: Examples.aUser },
    }),
  )

const forgotPassword = HttpApiEndpoint.post("forgotPassword", "/auth/password/forgot")
  .setPayload(reportingAllErrors(ForgotPassword))
  .addSuccess(Accepted, { status: 202 })
  .addError(BodyProblems)
  .addError(TooManyRequests)
  .addError(ServiceUnavailable)
  .annotateContext(
    documented({
      summary: "Ask for a password reset link",
      description:
        "Mails a single-use link (`token=...`, valid 1 hour by default) to the address if it is an active " +
        "account's. The answer is the same 202, with the same body and in the same time, whether it is or not. " +
        "A newer link voids the older one. Limited per client address and per address asked for (429). A " +
        "service that cannot send mail answers 503 `mail_unavailable`.",
      request: Examples.aResetRequest,
      responses: { 202: resetRequested },
    }),
  )

/** An endpoint that spends a mailed link: 204, or a 400 saying why the link is no good. */
const spendingLink = <const Name extends string>(endpoint: HttpApiEndpoint.HttpApiEndpoint<Name, "POST">) =>
  endpoint.addSuccess(HttpApiSchema.NoContent).addError(BadRequest).addError(BodyProblems).addError(TooManyRequests)

const resetPassword = spendingLink(HttpApiEndpoint.post("resetPassword", "/auth/password/reset"))
  .setPayload(reportingAllErrors(ResetPassword))
  .annotateContext(
    documented({
      summary: "Reset the password with a mailed link",
      description:
        "Sets a new password (the password policy applies; a refused one leaves the link working) and ends " +
        "every session of the account. The link's address counts as verified. A link used already is a 400 " +
        "`token_used`, an expired one `token_expired`, an unknown or replaced one `token_invalid`. Limited " +
        "per client address and per account (429).",
      request: Examples.aReset,
    }),
  )

const verifyEmail = spendingLink(HttpApiEndpoint.post("verifyEmail", "/auth/email/verify"))
  .setPayload(reportingAllErrors(VerifyEmail))
  .annotateContext(
    documented({
      summary: "Verify an email address with a mailed link",
      description:
        "Marks the address the link was mailed to as verified, if the account still has it. A used link is a " +
        "400 `token_used`, an expired one `token_expired`, an unknown, replaced or outdated one (the account's " +
        "address changed since) `token_invalid`. Limited per client address (429).",
      request: Examples.aVerification,
    }),
  )

const requestVerification = HttpApiEndpoint.post("requestVerification", "/auth/email/verify/request")
  .addSuccess(Accepted, { status: 202 })
  .addError(Conflict)
  .addError(TooManyRequests)
  .addError(ServiceUnavailable)
  .middleware(Authentication)
  .annotateContext(
    documented({
      summary: "Ask for a new verification link",
      description:
        "Mails a new link (valid 24 hours by default) to the caller's address; the earlier one stops working. " +
        "An address verified already is a 409 `email_already_verified`. Limited per client address and per " +
        "account (429); a service that cannot send mail answers 503 `mail_unavailable`.",
      responses: { 202: verificationRequested, 409: Examples.emailVerifiedAlready },
    }),
  )

export class AuthApi extends group(
  "auth",
  { prefix: "/api/v1", title: "Authentication", description: "Open an account, log in, and see who you are" },
  (group) =>
    group
      .add(register)
      .add(login)
      .add(refresh)
      .add(logout)
      .add(me)
      .add(sessions)
      .add(revokeSession)
      .add(forgotPassword)
      .add(resetPassword)
      .add(verifyEmail)
      .add(requestVerification),
) {}
