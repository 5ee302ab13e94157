import { HttpApiEndpoint } from "@effect/platform"
import { Registration, User } from "@userkit/domain"
import { group } from "../edge/RouteNote.js"
import { documented } from "../openapi/Documented.js"
import * as Examples from "../openapi/Examples.js"
import { reportingAllErrors } from "../problems/InvalidPayload.js"
import { BodyProblems, Conflict, TooManyRequests, Unauthorized } from "../problems/Problem.js"
import { Authentication } from "../security/Authentication.js"
import { AccessToken, LoginPayload } from "./Login.js"

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
        "`rate_limited` with `Retry-After`, alike for an account that exists and one that does not.",
      request: Examples.someCredentials,
      responses: { 200: Examples.anAccessToken },
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

export class AuthApi extends group(
  "auth",
  { prefix: "/api/v1", title: "Authentication", description: "Open an account, log in, and see who you are" },
  (group) => group.add(register).add(login).add(me),
) {}
