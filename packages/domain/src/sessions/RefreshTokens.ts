import { Context, Effect, Encoding, Layer, Redacted } from "effect"
import { RefreshTokenHash } from "./Session.js"

/** A refresh token as handed to a client, and the hash its store keeps. */
export interface MintedToken {
  readonly token: Redacted.Redacted<string>
  readonly hash: RefreshTokenHash
}

/** 256 random bits, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/
export const MIN_REFRESH_KEY_BYTES = 32

const encoder = new TextEncoder()
const base64url = (bytes: ArrayBuffer | Uint8Array) => Encoding.encodeBase64Url(new Uint8Array(bytes))

/**
 * Makes refresh tokens: opaque, 256 random bits, stored only as their SHA-256. A token's successor
 * is derived from it (HMAC-SHA256 under the deployment's key), so the same token presented twice
 * within its grace window yields the same successor, on any instance, and no store ever holds a
 * usable token. Runs on the platform's Web Crypto.
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
    const hmac = yield* Effect.promise(() =>
      crypto.subtle.importKey("raw", new Uint8Array(Redacted.value(key)), { name: "HMAC", hash: "SHA-256" }, false, [
        "sign",
      ]),
    )
    const hash = (token: string) =>
      Effect.map(
        Effect.promise(() => crypto.subtle.digest("SHA-256", encoder.encode(token))),
        (digest) => RefreshTokenHash.make(base64url(digest)),
      )
    const minted = (token: string) =>
      Effect.map(hash(token), (h): MintedToken => ({ token: Redacted.make(token), hash: h }))
    return RefreshTokens.of({
      mint: Effect.suspend(() => minted(base64url(crypto.getRandomValues(new Uint8Array(32))))),
      successorOf: (presented) =>
        Effect.promise(() =>
          crypto.subtle.sign("HMAC", hmac, encoder.encode(`userkit/refresh-successor/v1:${Redacted.value(presented)}`)),
        ).pipe(Effect.flatMap((mac) => minted(base64url(mac)))),
      hashOf: (presented) => {
        const token = Redacted.value(presented)
        return TOKEN_PATTERN.test(token) ? hash(token) : Effect.succeed(undefined)
      },
    })
  })
