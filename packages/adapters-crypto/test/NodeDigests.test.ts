import { describe, expect, it } from "@effect/vitest"
import { webCryptoDigests } from "@userkit/domain"
import { Effect } from "effect"
import { NodeDigests } from "../src/index.js"

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex")
const texts = ["", "abc", "a token: Zoë 🦊", "x".repeat(10_000)]

describe("NodeDigests", () => {
  it.effect("answers the published vectors: SHA-256 (FIPS 180-2) and HMAC-SHA256 (RFC 4231, case 2)", () =>
    Effect.gen(function* () {
      expect(hex(yield* NodeDigests.digests.sha256("abc"))).toBe(
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
      )
      const mac = yield* NodeDigests.digests.hmacSha256(new TextEncoder().encode("Jefe"))
      expect(hex(yield* mac("what do ya want for nothing?"))).toBe(
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
      )
    }),
  )

  it.effect("answers as the domain's default (Web Crypto) does, for any text and key", () =>
    Effect.gen(function* () {
      const key = crypto.getRandomValues(new Uint8Array(32))
      const [ours, theirs] = yield* Effect.all([NodeDigests.digests.hmacSha256(key), webCryptoDigests.hmacSha256(key)])
      for (const text of texts) {
        expect(hex(yield* NodeDigests.digests.sha256(text))).toBe(hex(yield* webCryptoDigests.sha256(text)))
        expect(hex(yield* ours(text))).toBe(hex(yield* theirs(text)))
      }
    }),
  )
})
