import { Context, Effect } from "effect"

/** The HMAC-SHA256 of UTF-8 text under the key it was made for. */
export type Mac = (text: string) => Effect.Effect<Uint8Array>

export interface DigestsService {
  /** The SHA-256 of `text` (UTF-8). */
  readonly sha256: (text: string) => Effect.Effect<Uint8Array>
  /** The MAC under `key`: the key is prepared once, then each text is signed with it. */
  readonly hmacSha256: (key: Uint8Array) => Effect.Effect<Mac>
}

const encoder = new TextEncoder()

/** The platform's Web Crypto: here on every platform, each digest answered on a later turn. */
export const webCryptoDigests: DigestsService = {
  sha256: (text) =>
    Effect.map(
      Effect.promise(() => crypto.subtle.digest("SHA-256", encoder.encode(text))),
      (digest) => new Uint8Array(digest),
    ),
  hmacSha256: (key) =>
    Effect.map(
      Effect.promise(() =>
        crypto.subtle.importKey("raw", new Uint8Array(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]),
      ),
      (hmac): Mac =>
        (text) =>
          Effect.map(
            Effect.promise(() => crypto.subtle.sign("HMAC", hmac, encoder.encode(text))),
            (mac) => new Uint8Array(mac),
          ),
    ),
}

/**
 * How opaque tokens are digested (what a store keeps of them) and a refresh token's successor
 * derived. Web Crypto by default, which is asynchronous only: each digest is a job on the
 * platform's thread pool, answered on a later turn of the event loop, and a wake-up of the loop
 * costs more than the digest when the cores are busy hashing passwords. A host with digests on
 * the caller's turn provides them (adapters-crypto's NodeDigests, which the app uses). Read when a
 * service is built, not per token.
 */
export class Digests extends Context.Reference<Digests>()("userkit/Digests", {
  defaultValue: (): DigestsService => webCryptoDigests,
}) {}
