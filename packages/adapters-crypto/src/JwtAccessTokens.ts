import { createSecretKey, webcrypto } from "node:crypto"
import { AccessTokens, InvalidToken, type TokenGrant, traced } from "@userkit/domain"
import { Clock, DateTime, type Duration, Effect, Layer, Redacted } from "effect"
import { jwtVerify } from "jose"
import { ACCESS_TOKEN_TYPE, grantClaims, ttlSeconds, verifier } from "./AccessTokenClaims.js"
import { signCompact } from "./CompactJws.js"

export interface Options {
  /** HMAC key, at least 32 bytes of UTF-8 (RFC 7518 asks for a key as long as the hash). */
  readonly secret: Redacted.Redacted<string>
  readonly issuer: string
  readonly audience: string
  /** How long a token lives; rounded down to whole seconds, at least one. */
  readonly ttl: Duration.DurationInput
}

export const MIN_SECRET_BYTES = 32
export { ACCESS_TOKEN_TYPE, MAX_TOKEN_LENGTH, VERIFIED_TOKENS_REMEMBERED } from "./AccessTokenClaims.js"

/** HS256 access tokens via jose. Time comes from Clock, so TestClock drives issue and expiry. */
export const make = (options: Options): Effect.Effect<AccessTokens["Type"]> =>
  Effect.gen(function* () {
    const secret = Buffer.from(Redacted.value(options.secret), "utf8")
    if (secret.length < MIN_SECRET_BYTES) {
      return yield* Effect.dieMessage(`SECRET_KEY must be at least ${MIN_SECRET_BYTES} bytes (UTF-8)`)
    }
    const lifetime = yield* ttlSeconds(options.ttl)
    // A WebCrypto key for jose's verify, imported once: given raw bytes or a KeyObject, jose imports
    // the key through WebCrypto again on every verify (half its cost). Tokens are signed with a node
    // key on this thread (see signCompact).
    const key = yield* Effect.promise(() =>
      webcrypto.subtle.importKey("raw", secret, { name: "HMAC", hash: "SHA-256" }, false, ["verify"]),
    )
    const signingKey = createSecretKey(secret)
    const { issuer, audience } = options

    // HMAC is deterministic, and so is this token: the same grant at the same second is the same text.
    const issue = Effect.fnUntraced(function* (grant: TokenGrant, issuedAt: DateTime.Utc) {
      const iat = Math.floor(DateTime.toEpochMillis(issuedAt) / 1000)
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const token = signCompact(
        { alg: "HS256", typ: ACCESS_TOKEN_TYPE },
        { ...grantClaims(grant), iss: issuer, aud: audience, iat, exp: iat + lifetime },
        signingKey,
      )
      return { token: Redacted.make(token), expiresIn: Math.max(0, iat + lifetime - now) }
    }, traced("JwtAccessTokens.issue"))

    // Every refusal is the same InvalidToken, carrying neither the token nor jose's reason.
    const verify = yield* verifier("JwtAccessTokens.verify", (jwt, now) =>
      Effect.tryPromise({
        try: () =>
          jwtVerify(jwt, key, {
            algorithms: ["HS256"],
            typ: ACCESS_TOKEN_TYPE,
            issuer,
            audience,
            requiredClaims: ["exp", "iat", "sub", "sid"],
            currentDate: new Date(now),
            // No leeway: tokens are checked by the instances that issued them, on NTP-synced clocks.
            clockTolerance: 0,
          }),
        catch: () => new InvalidToken(),
      }).pipe(Effect.map(({ payload }) => payload)),
    )

    return AccessTokens.of({ issue, verify })
  })

/** The domain's AccessTokens as HS256 JWTs; dies at build for a short secret or a ttl under 1s. */
export const layer = (options: Options): Layer.Layer<AccessTokens> => Layer.effect(AccessTokens, make(options))
