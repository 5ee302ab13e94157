import { HttpApiBuilder, HttpApp, HttpServerResponse } from "@effect/platform"
import { Accounts, EmailVerification, PasswordRecovery, Sessions, type SignedIn } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { Api } from "../Api.js"
import * as ClientAddress from "../edge/ClientAddress.js"
import { HttpMetrics } from "../edge/HttpMetrics.js"
import { asProblems } from "../problems/DomainProblems.js"
import * as Authentication from "../security/Authentication.js"
import { type AccessToken, sessionInfo } from "./Login.js"
import { resetRequested, verificationRequested } from "./Recovery.js"
import { sessionIdOf } from "./SessionIdPath.js"

// RFC 6749 §5.1: a response carrying a token must not be cached.
const noStore = HttpApp.appendPreResponseHandler((_request, response) =>
  Effect.succeed(HttpServerResponse.setHeader(response, "cache-control", "no-store")),
)

/** A login's or a refresh's answer, in the OAuth2 token response's names. */
const tokenResponse = (signedIn: SignedIn): AccessToken => ({
  access_token: signedIn.accessToken,
  token_type: "bearer",
  expires_in: signedIn.expiresIn,
  refresh_token: signedIn.refreshToken,
  refresh_expires_in: signedIn.refreshExpiresIn,
  user: signedIn.user,
})

export const layer = HttpApiBuilder.group(Api, "auth", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    const sessions = yield* Sessions
    const metrics = yield* HttpMetrics
    const recovery = yield* PasswordRecovery
    const verification = yield* EmailVerification
    return handlers
      .handle("register", ({ payload }) =>
        asProblems(Effect.flatMap(ClientAddress.current, (client) => accounts.register(payload, client))),
      )
      .handle("login", ({ payload }) =>
        Effect.flatMap(ClientAddress.current, (client) =>
          accounts.login({ login: payload.username, password: payload.password }, client),
        ).pipe(
          // Counted here, where the outcome is known: a malformed request (422) is no login attempt.
          Effect.tapBoth({
            onFailure: () => metrics.recordLogin("failure"),
            onSuccess: () => metrics.recordLogin("success"),
          }),
          asProblems,
          Effect.map(tokenResponse),
          Effect.zipLeft(noStore),
        ),
      )
      .handle("refresh", ({ payload }) =>
        Effect.flatMap(ClientAddress.current, (client) => sessions.refresh(payload.refresh_token, client)).pipe(
          asProblems,
          Effect.map(tokenResponse),
          Effect.zipLeft(noStore),
        ),
      )
      .handle("logout", ({ payload }) =>
        Effect.flatMap(Effect.all([Authentication.CurrentCaller, ClientAddress.current]), ([caller, client]) =>
          sessions.logout(caller, payload.scope, client),
        ),
      )
      .handle("me", () => Authentication.CurrentUser)
      .handle("sessions", () =>
        Effect.map(Effect.flatMap(Authentication.CurrentCaller, sessions.list), (views) =>
          views.map(({ session, current }) => sessionInfo(session, current)),
        ),
      )
      .handle("revokeSession", ({ path }) =>
        asProblems(
          Effect.flatMap(
            Effect.all([Authentication.CurrentCaller, sessionIdOf(path.id), ClientAddress.current]),
            ([caller, id, client]) => sessions.revoke(caller, id, client),
          ),
        ),
      )
      .handle("forgotPassword", ({ payload }) =>
        Effect.flatMap(ClientAddress.current, (client) => recovery.forgot(payload.email, client)).pipe(
          asProblems,
          Effect.as(resetRequested),
        ),
      )
      .handle("resetPassword", ({ payload }) =>
        asProblems(
          Effect.flatMap(ClientAddress.current, (client) =>
            recovery.reset(payload.token, payload.new_password, client),
          ),
        ),
      )
      .handle("verifyEmail", ({ payload }) =>
        asProblems(Effect.flatMap(ClientAddress.current, (client) => verification.verify(payload.token, client))),
      )
      .handle("requestVerification", () =>
        Effect.flatMap(Effect.all([Authentication.CurrentUser, ClientAddress.current]), ([me, client]) =>
          verification.request(me, client),
        ).pipe(asProblems, Effect.as(verificationRequested)),
      )
  }),
).pipe(Layer.provide(Authentication.layer))
