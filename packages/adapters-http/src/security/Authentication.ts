import { HttpApiMiddleware, HttpApiSecurity, HttpServerRequest } from "@effect/platform"
import { type Caller, Sessions } from "@userkit/domain"
import { Context, Effect, Layer, Option, Redacted } from "effect"
import { asProblems, unauthorized } from "../problems/DomainProblems.js"
import { Unauthorized } from "../problems/Problem.js"

/** Who a secured endpoint runs for, as `Sessions.authenticate` found them: the user and their session. */
export class CurrentCaller extends Context.Tag("userkit/http/CurrentCaller")<CurrentCaller, Caller>() {}

/** The user a secured endpoint runs for. */
export const CurrentUser = Effect.map(CurrentCaller, (caller) => caller.user)

/**
 * How secured endpoints are documented. The document turns it into the OAuth2 password flow
 * (see openapi/DocumentTransforms.ts); the token itself is read below, not by the platform, whose
 * decoder slices 7 characters off any header, whatever its scheme.
 */
export const bearerSecurity = { OAuth2PasswordBearer: HttpApiSecurity.bearer } as const

export class Authentication extends HttpApiMiddleware.Tag<Authentication>()("userkit/http/Authentication", {
  provides: CurrentCaller,
  failure: Unauthorized,
  security: bearerSecurity,
}) {}

// RFC 6750: the scheme is case-insensitive, the token a non-empty b64token.
const bearerPattern = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i

/** The bearer token of an `Authorization` header, if it is one. */
export const bearerToken = (authorization: string | undefined): Option.Option<Redacted.Redacted<string>> =>
  Option.fromNullable(authorization).pipe(
    Option.flatMapNullable((header) => bearerPattern.exec(header)?.[1]),
    Option.map(Redacted.make),
  )

/** The caller, or the one 401. */
export const authenticate = (sessions: Sessions) =>
  HttpServerRequest.HttpServerRequest.pipe(
    Effect.flatMap((request) => bearerToken(request.headers.authorization)),
    Effect.mapError(unauthorized),
    Effect.flatMap((token) => asProblems(sessions.authenticate(token))),
  )

export const layer: Layer.Layer<Authentication, never, Sessions> = Layer.effect(
  Authentication,
  Effect.map(Sessions, (sessions) => Authentication.of({ OAuth2PasswordBearer: () => authenticate(sessions) })),
)
