import { createHash, createHmac, createSecretKey } from "node:crypto"
import { Digests, type DigestsService } from "@userkit/domain"
import { Effect, Layer } from "effect"

/**
 * The domain's digests by node:crypto, on the caller's turn: a token's SHA-256 or HMAC takes a
 * few microseconds, where Web Crypto's job on libuv's pool costs a wake-up of the event loop
 * (measured under a login storm: about a millisecond of the loop's time each).
 */
export const digests: DigestsService = {
  sha256: (text) => Effect.sync(() => createHash("sha256").update(text, "utf8").digest()),
  hmacSha256: (key) =>
    Effect.sync(() => {
      const secret = createSecretKey(key)
      return (text: string) => Effect.sync(() => createHmac("sha256", secret).update(text, "utf8").digest())
    }),
}

/** Provide to the layers that build the domain's services: they read it when built. */
export const layer: Layer.Layer<Digests> = Layer.succeed(Digests, digests)
