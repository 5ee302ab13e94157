import { Effect, Encoding, Redacted } from "effect"
import type { DigestsService } from "./Digests.js"

/** 256 random bits, base64url: 43 characters. */
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/

export const base64url = (bytes: ArrayBuffer | Uint8Array) => Encoding.encodeBase64Url(new Uint8Array(bytes))

/** The SHA-256 of `token`, base64url: what a store keeps of a bearer secret. */
export const sha256 = (digests: DigestsService, token: string): Effect.Effect<string> =>
  Effect.map(digests.sha256(token), base64url)

/** A secret handed to a client once, and the digest its store keeps. */
export interface Minted<Digest extends string> {
  readonly token: Redacted.Redacted<string>
  readonly hash: Digest
}

/** `token` and its digest, branded by `brand`. */
export const minted = <Digest extends string>(
  digests: DigestsService,
  token: string,
  brand: (digest: string) => Digest,
) =>
  Effect.map(sha256(digests, token), (digest): Minted<Digest> => ({ token: Redacted.make(token), hash: brand(digest) }))

/** A fresh opaque token (256 bits from the platform's CSPRNG) and its digest. */
export const mintToken = <Digest extends string>(digests: DigestsService, brand: (digest: string) => Digest) =>
  Effect.suspend(() => minted(digests, base64url(crypto.getRandomValues(new Uint8Array(32))), brand))

/** The digest of a presented token; a string that cannot be one of ours has none (undefined), and costs nothing. */
export const digestOf = <Digest extends string>(
  digests: DigestsService,
  presented: Redacted.Redacted<string>,
  brand: (digest: string) => Digest,
): Effect.Effect<Digest | undefined> => {
  const token = Redacted.value(presented)
  return TOKEN_PATTERN.test(token) ? Effect.map(sha256(digests, token), brand) : Effect.succeed(undefined)
}
