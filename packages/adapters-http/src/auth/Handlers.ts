import { HttpApiBuilder, HttpApp, HttpServerResponse } from "@effect/platform"
import { Accounts } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { Api } from "../Api.js"
import * as ClientAddress from "../edge/ClientAddress.js"
import { HttpMetrics } from "../edge/HttpMetrics.js"
import { asProblems } from "../problems/DomainProblems.js"
import * as Authentication from "../security/Authentication.js"
import type { AccessToken } from "./Login.js"

// RFC 6749 §5.1: a response carrying a token must not be cached.
const noStore = HttpApp.appendPreResponseHandler((_request, response) =>
  Effect.succeed(HttpServerResponse.setHeader(response, "cache-control", "no-store")),
)

export const layer = HttpApiBuilder.group(Api, "auth", (handlers) =>
  Effect.gen(function* () {
    const accounts = yield* Accounts
    const metrics = yield* HttpMetrics
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
          Effect.map(
            (session): AccessToken => ({
              access_token: session.accessToken,
              token_type: "bearer",
              expires_in: session.expiresIn,
              user: session.user,
            }),
          ),
          Effect.zipLeft(noStore),
        ),
      )
      .handle("me", () => Authentication.CurrentUser)
  }),
).pipe(Layer.provide(Authentication.layer))
