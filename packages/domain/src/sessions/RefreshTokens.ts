import { Context, Effect, Layer, Redacted } from "effect"
import { Digests } from "../Digests.js"
import { base64url, digestOf, type Minted, minted, mintToken } from "../OpaqueTokens.js"
import { RefreshTokenHash } from "./Session.js"

/** A refresh token as handed to a client, and the hash its store keeps. */
export type MintedToken = Minted<RefreshTokenHash>

export const MIN_REFRESH_KEY_BYTES = 32

const brand = (digest: string) => RefreshTokenHash.make(digest)

/**
 * Makes refresh tokens: opaque, 256 random bits, stored only as their SHA-256. A token's successor
 * is derived from it (HMAC-SHA256 under the deployment's key), so the same token presented twice
 * within its grace window yields the same successor, on any instance, and no store ever holds a
 * usable token. Digests are the Digests service's (Web Crypto unless the host provides its own).
 */
export class RefreshTokens extends Context.Tag("userkit/RefreshTokens")<
  RefreshTokens,
  {
    /** A new token, for a new session. */
    readonly mint: Effect.Effect<MintedToken>
    /** The token that follows `presented`: always the same one, unguessable without the key. */
    readonly successorOf: (presented: Redacted.Redacted<string>) => Effect.Effect<MintedToken>
    /** The hash of a presented token; a string that cannot be a token is no hash at all (None). */
    readonly hashOf: (presented: Redacted.Redacted<string>) => Effect.Effect<RefreshTokenHash | undefined>
  }
>() {
  /** Tokens whose successors derive under `key` (at least 32 bytes; the same on every instance). */
  static readonly layer = (key: Redacted.Redacted<Uint8Array>): Layer.Layer<RefreshTokens> =>
    Layer.effect(this, makeRefreshTokens(key))

  /** Tokens under a random key of their own: for tests, and one-instance deployments that restart cold. */
  static readonly random: Layer.Layer<RefreshTokens> = Layer.effect(
    this,
    Effect.suspend(() => makeRefreshTokens(Redacted.make(crypto.getRandomValues(new Uint8Array(32))))),
  )
}

export const makeRefreshTokens = (key: Redacted.Redacted<Uint8Array>): Effect.Effect<typeof RefreshTokens.Service> =>
  Effect.gen(function* () {
    if (Redacted.value(key).length < MIN_REFRESH_KEY_BYTES)
      return yield* Effect.dieMessage(`the refresh token key must be at least ${MIN_REFRESH_KEY_BYTES} bytes`)
    const digests = yield* Digests
    const mac = yield* digests.hmacSha256(Redacted.value(key))
    return RefreshTokens.of({
      mint: mintToken(digests, brand),
      successorOf: (presented) =>
        mac(`userkit/refresh-successor/v1:${Redacted.value(presented)}`).pipe(
          Effect.flatMap((successor) => minted(digests, base64url(successor), brand)),
        ),
      hashOf: (presented) => digestOf(digests, presented, brand),
    })
  })
