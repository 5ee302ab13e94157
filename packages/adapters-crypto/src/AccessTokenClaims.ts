import { InvalidToken, SessionId, type TokenGrant, traced, UserId } from "@userkit/domain"
import { Clock, Duration, Effect, Redacted, Schema } from "effect"
import type { JWTPayload } from "jose"

// What both signers of access tokens (HS256, EdDSA) share: their type, the claims they carry, and
// the memory of tokens already verified.

// RFC 9068's media type for JWT access tokens: verification requires it, so no other token this
// service signs (refresh, reset, verification: each with its own typ) can pass as an access token.
export const ACCESS_TOKEN_TYPE = "at+jwt"

// Checked before any parsing, so an oversized header cannot make us decode or hash megabytes.
export const MAX_TOKEN_LENGTH = 4096

// Verified tokens remembered, by their exact text, until they expire: a JWT verification costs more
// than the rest of an authenticated request's work, and a client sends the same token many times.
// A forged, altered or retyped token is different text (the header is part of it) and is verified in
// full. Bounded; oldest out first. A revocation is not a concern of this memory: the session each
// token names is looked up on every request, verified from memory or not.
export const VERIFIED_TOKENS_REMEMBERED = 10_000

/** The claims a grant is carried in: whose token it is (`sub`), in which session (`sid`). */
export const grantClaims = (grant: TokenGrant): JWTPayload => ({ sub: grant.userId, sid: grant.sessionId })

const decodeClaims = Schema.decodeUnknown(Schema.Struct({ sub: UserId, sid: SessionId }))

/** The grant a verified token's claims carry, or InvalidToken. */
export const grantOf = (payload: JWTPayload): Effect.Effect<TokenGrant, InvalidToken> =>
  decodeClaims(payload).pipe(
    Effect.map(({ sub, sid }) => ({ userId: sub, sessionId: sid })),
    Effect.mapError(() => new InvalidToken()),
  )

/** A token's lifetime in whole seconds, at least one; else a defect naming the rule. */
export const ttlSeconds = (ttl: Duration.DurationInput): Effect.Effect<number> => {
  const seconds = Math.floor(Duration.toSeconds(ttl))
  return Number.isFinite(seconds) && seconds >= 1
    ? Effect.succeed(seconds)
    : Effect.dieMessage("access token ttl must be a finite duration of at least one second")
}

/**
 * Verification through a memory of tokens already verified: `verifyFully` runs once per token
 * text, and its answer is reused until the token's `exp` (no leeway), then forgotten.
 */
export const rememberingVerified = (
  verifyFully: (jwt: string, nowMillis: number) => Effect.Effect<JWTPayload, InvalidToken>,
) => {
  const verified = new Map<string, { readonly grant: TokenGrant; readonly expiresAtSeconds: number }>()
  return (jwt: string, nowMillis: number): Effect.Effect<TokenGrant, InvalidToken> => {
    if (jwt.length > MAX_TOKEN_LENGTH) return Effect.fail(new InvalidToken())
    const known = verified.get(jwt)
    if (known !== undefined) {
      if (known.expiresAtSeconds > Math.floor(nowMillis / 1000)) return Effect.succeed(known.grant)
      verified.delete(jwt)
      return Effect.fail(new InvalidToken())
    }
    return Effect.flatMap(verifyFully(jwt, nowMillis), (payload) =>
      Effect.tap(grantOf(payload), (grant) =>
        Effect.sync(() => {
          if (payload.exp === undefined) return
          if (verified.size >= VERIFIED_TOKENS_REMEMBERED) {
            const oldest = verified.keys().next()
            if (oldest.done !== true) verified.delete(oldest.value)
          }
          verified.set(jwt, { grant, expiresAtSeconds: payload.exp })
        }),
      ),
    )
  }
}

/**
 * `AccessTokens.verify` through the memory of verified tokens (`rememberingVerified`), at the
 * Clock's now, in a span named `name` where traces are kept.
 */
export const verifier = (
  name: string,
  verifyFully: (jwt: string, nowMillis: number) => Effect.Effect<JWTPayload, InvalidToken>,
): Effect.Effect<(token: Redacted.Redacted<string>) => Effect.Effect<TokenGrant, InvalidToken>> =>
  Effect.sync(() => {
    const verified = rememberingVerified(verifyFully)
    const span = traced(name)
    return (token) => span(Effect.flatMap(Clock.currentTimeMillis, (now) => verified(Redacted.value(token), now)))
  })
