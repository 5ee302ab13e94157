import { webcrypto } from "node:crypto"
import { AccessTokens, InvalidToken, UserId } from "@userkit/domain"
import { Clock, Duration, Effect, Layer, Redacted, Schema } from "effect"
import { jwtVerify, SignJWT } from "jose"

export interface Options {
  /** HMAC key, at least 32 bytes of UTF-8 (RFC 7518 asks for a key as long as the hash). */
  readonly secret: Redacted.Redacted<string>
  readonly issuer: string
  readonly audience: string
  /** How long a token lives; rounded down to whole seconds, at least one. */
  readonly ttl: Duration.DurationInput
}

export const MIN_SECRET_BYTES = 32
// Checked before any parsing, so an oversized header cannot make us decode or hash megabytes.
export const MAX_TOKEN_LENGTH = 4096

// Verified tokens remembered, by their exact text, until they expire: a JWT verification costs more
// than the rest of an authenticated request's work, and a client sends the same token many times.
// A forged, altered or retyped token is different text (the header is part of it) and is verified in
// full. Bounded; oldest out first.
export const VERIFIED_TOKENS_REMEMBERED = 10_000

// RFC 9068's media type for JWT access tokens: verification requires it, so no other token this
// service signs (refresh, reset, verification: each with its own typ) can pass as an access token.
export const ACCESS_TOKEN_TYPE = "at+jwt"

const decodeUserId = Schema.decodeUnknown(UserId)

/** HS256 access tokens via jose. Time comes from Clock, so TestClock drives issue and expiry. */
export const make = (options: Options): Effect.Effect<AccessTokens["Type"]> =>
  Effect.gen(function* () {
    const secret = Buffer.from(Redacted.value(options.secret), "utf8")
    if (secret.length < MIN_SECRET_BYTES) {
      return yield* Effect.dieMessage(`SECRET_KEY must be at least ${MIN_SECRET_BYTES} bytes (UTF-8)`)
    }
    const ttlSeconds = Math.floor(Duration.toSeconds(options.ttl))
    if (!Number.isFinite(ttlSeconds) || ttlSeconds < 1) {
      return yield* Effect.dieMessage("access token ttl must be a finite duration of at least one second")
    }
    // A WebCrypto key, imported once: given raw bytes or a KeyObject, jose imports the key through
    // WebCrypto again on every sign and verify (half the cost of a verify).
    const key = yield* Effect.promise(() =>
      webcrypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["sign", "verify"]),
    )
    const { issuer, audience } = options
    const verified = new Map<string, { readonly userId: UserId; readonly expiresAtSeconds: number }>()
    const remember = (jwt: string, userId: UserId, expiresAtSeconds: number) => {
      if (verified.size >= VERIFIED_TOKENS_REMEMBERED) {
        const oldest = verified.keys().next()
        if (oldest.done !== true) verified.delete(oldest.value)
      }
      verified.set(jwt, { userId, expiresAtSeconds })
    }

    const issue = Effect.fn("JwtAccessTokens.issue")(function* (userId: UserId) {
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const token = yield* Effect.promise(() =>
        new SignJWT({})
          .setProtectedHeader({ alg: "HS256", typ: ACCESS_TOKEN_TYPE })
          .setSubject(userId)
          .setIssuer(issuer)
          .setAudience(audience)
          .setIssuedAt(now)
          .setExpirationTime(now + ttlSeconds)
          .sign(key),
      )
      return { token: Redacted.make(token), expiresIn: ttlSeconds }
    })

    // Every refusal is the same InvalidToken, carrying neither the token nor jose's reason.
    const verify = Effect.fn("JwtAccessTokens.verify")(function* (token: Redacted.Redacted<string>) {
      const jwt = Redacted.value(token)
      if (jwt.length > MAX_TOKEN_LENGTH) return yield* new InvalidToken()
      const now = yield* Clock.currentTimeMillis
      const known = verified.get(jwt)
      if (known !== undefined) {
        // The same rule as jose's with no leeway: valid while exp is after the current second.
        if (known.expiresAtSeconds > Math.floor(now / 1000)) return known.userId
        verified.delete(jwt)
        return yield* new InvalidToken()
      }
      const { payload } = yield* Effect.tryPromise({
        try: () =>
          jwtVerify(jwt, key, {
            algorithms: ["HS256"],
            typ: ACCESS_TOKEN_TYPE,
            issuer,
            audience,
            requiredClaims: ["exp", "iat", "sub"],
            currentDate: new Date(now),
            // No leeway: tokens are checked by the instances that issued them, on NTP-synced clocks.
            clockTolerance: 0,
          }),
        catch: () => new InvalidToken(),
      })
      const userId = yield* decodeUserId(payload.sub).pipe(Effect.mapError(() => new InvalidToken()))
      if (payload.exp !== undefined) remember(jwt, userId, payload.exp)
      return userId
    })

    return AccessTokens.of({ issue, verify })
  })

/** The domain's AccessTokens as HS256 JWTs; dies at build for a short secret or a ttl under 1s. */
export const layer = (options: Options): Layer.Layer<AccessTokens> => Layer.effect(AccessTokens, make(options))
