import { createPrivateKey, createSecretKey, generateKeyPairSync } from "node:crypto"
import { jwtVerify, SignJWT } from "jose"
import { describe, expect, it } from "vitest"
import { signCompact } from "../src/CompactJws.js"

const payload = {
  sub: "0190a5a0-0000-7000-8000-000000000001",
  sid: "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6",
  iss: "userkit-test",
  aud: "userkit-api",
  iat: 1_800_000_000,
  exp: 1_800_000_900,
  // Text beyond ASCII is UTF-8 in the token, as jose writes it.
  name: "Zoë 🦊",
}

describe("signCompact", () => {
  it("signs Ed25519 tokens byte for byte as jose's SignJWT does, and jose verifies them", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("ed25519")
    // Imported from its JWK, as the SigningKeyRing imports a stored key.
    const fromJwk = createPrivateKey({ key: privateKey.export({ format: "jwk" }), format: "jwk" })
    const header = { alg: "EdDSA", kid: "key-1", typ: "at+jwt" } as const
    const ours = signCompact(header, payload, fromJwk)
    expect(ours).toBe(await new SignJWT(payload).setProtectedHeader(header).sign(privateKey))
    const verified = await jwtVerify(ours, publicKey, {
      algorithms: ["EdDSA"],
      currentDate: new Date(1_800_000_100_000),
    })
    expect(verified.payload).toEqual(payload)
    expect(verified.protectedHeader).toEqual(header)
  })

  it("signs HS256 tokens byte for byte as jose's SignJWT does, and jose verifies them", async () => {
    const secret = createSecretKey(Buffer.from("test-secret-of-at-least-32-bytes-for-hs256"))
    const header = { alg: "HS256", typ: "at+jwt" } as const
    const ours = signCompact(header, payload, secret)
    expect(ours).toBe(await new SignJWT(payload).setProtectedHeader(header).sign(secret))
    const verified = await jwtVerify(ours, secret, { algorithms: ["HS256"], currentDate: new Date(1_800_000_100_000) })
    expect(verified.payload).toEqual(payload)
  })
})
