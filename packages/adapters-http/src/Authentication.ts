import { HttpApiMiddleware, HttpApiSecurity, HttpServerRequest } from "@effect/platform"
import { Accounts, type User } from "@userkit/domain"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { toProblem, unauthorized } from "./DomainProblems.js"
import { Unauthorized } from "./Problem.js"

/** The user a secured endpoint runs for, as `Accounts.currentUser` found it. */
export class CurrentUser extends Context.Tag("userkit/http/CurrentUser")<CurrentUser, User>() {}

export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("userkit/http/Authentication", {
  provides: CurrentUser,
  failure: Unauthorized,
  // Declared for the OpenAPI document; the token itself is read below, not by the platform.
  security: { bearer: HttpApiSecurity.bearer },
}) {}

// RFC 6750: the scheme is case-insensitive, the token a non-empty b64token.
const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** The bearer token of an `Authorization` header, if it is one. */
export const bearerToken = (authorization: string | undefined): Option.Option<Redacted.Redacted<string>> =>
  Option.fromNullable(authorization).pipe(
    Option.flatMapNullable((header) => bearerPattern.exec(header)?.[1]),
    Option.map(Redacted.make),
  )

export const AuthenticationLive: Layer.Layer<Authentication, never, Accounts> = Layer.effect(
  Authentication,
  Effect.map(Accounts, (accounts) =>
    Authentication.of({
      // The platform's decoded token slices 7 characters off any header, whatever its scheme, so it is ignored.
      bearer: () =>
        HttpServerRequest.HttpServerRequest.pipe(
          Effect.flatMap((request) => bearerToken(request.headers.authorization)),
          Effect.mapError(unauthorized),
          Effect.flatMap((token) => accounts.currentUser(token).pipe(Effect.mapError((error) => toProblem(error)))),
        ),
    }),
  ),
)
