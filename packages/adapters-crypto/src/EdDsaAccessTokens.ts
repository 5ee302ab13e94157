import { AccessTokens, type TokenGrant, traced } from "@userkit/domain"
import { Clock, DateTime, type Duration, Effect, Layer, Redacted } from "effect"
import { ACCESS_TOKEN_TYPE, grantClaims, ttlSeconds, verifier } from "./AccessTokenClaims.js"
import { SigningKeyRing } from "./SigningKeyRing.js"

export interface Options {
  /** How long a token lives; rounded down to whole seconds, at least one. The ring's tokenLifetime must not be shorter. */
  readonly ttl: Duration.DurationInput
}

/**
 * Access tokens signed with EdDSA by the SigningKeyRing: the current key of the store every
 * instance shares, named by `kid`, verifiable by anyone from the ring's JWKS. Ed25519 signatures
 * are deterministic, so the same grant issued at the same instant with the same key is the same
 * token (across a key rotation it is not: a replayed refresh then answers a newly signed token).
 */
export const make = (options: Options): Effect.Effect<AccessTokens["Type"], never, SigningKeyRing> =>
  Effect.gen(function* () {
    const ring = yield* SigningKeyRing
    const lifetime = yield* ttlSeconds(options.ttl)

    const issue = Effect.fnUntraced(function* (grant: TokenGrant, issuedAt: DateTime.Utc) {
      const iat = Math.floor(DateTime.toEpochMillis(issuedAt) / 1000)
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      const token = yield* ring.sign({ ...grantClaims(grant), iat, exp: iat + lifetime }, ACCESS_TOKEN_TYPE)
      return { token: Redacted.make(token), expiresIn: Math.max(0, iat + lifetime - now) }
    }, traced("EdDsaAccessTokens.issue"))

    // The ring pins each key's algorithm and checks typ, iss, aud, exp, nbf and iat (30 s of skew).
    const verify = yield* verifier("EdDsaAccessTokens.verify", (jwt) => ring.verify(jwt, { typ: ACCESS_TOKEN_TYPE }))

    return AccessTokens.of({ issue, verify })
  })

/** The domain's AccessTokens as EdDSA JWTs on the SigningKeyRing. */
export const layer = (options: Options): Layer.Layer<AccessTokens, never, SigningKeyRing> =>
  Layer.effect(AccessTokens, make(options))
