import { Effect, Encoding, Redacted } from "effect"

/** 256 random bits, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/

const encoder = new TextEncoder()
export const base64url = (bytes: ArrayBuffer | Uint8Array) => Encoding.encodeBase64Url(new Uint8Array(bytes))

/** The SHA-256 of `token`, base64url: what a store keeps of a bearer secret. */
export const sha256 = (token: string): Effect.Effect<string> =>
  Effect.map(
    Effect.promise(() => crypto.subtle.digest("SHA-256", encoder.encode(token))),
    (digest) => base64url(digest),
  )

/** A secret handed to a client once, and the digest its store keeps. */
export interface Minted<Digest extends string> {
  readonly token: Redacted.Redacted<string>
  readonly hash: Digest
}

/** `token` and its digest, branded by `brand`. */
export const minted = <Digest extends string>(token: string, brand: (digest: string) => Digest) =>
  Effect.map(sha256(token), (digest): Minted<Digest> => ({ token: Redacted.make(token), hash: brand(digest) }))

/** A fresh opaque token (256 bits from the platform's CSPRNG) and its digest. */
export const mintToken = <Digest extends string>(brand: (digest: string) => Digest) =>
  Effect.suspend(() => minted(base64url(crypto.getRandomValues(new Uint8Array(32))), brand))

/** The digest of a presented token; a string that cannot be one of ours has none (undefined), and costs nothing. */
export const digestOf = <Digest extends string>(
  presented: Redacted.Redacted<string>,
  brand: (digest: string) => Digest,
): Effect.Effect<Digest | undefined> => {
  const token = Redacted.value(presented)
  return TOKEN_PATTERN.test(token) ? Effect.map(sha256(token), brand) : Effect.succeed(undefined)
}
