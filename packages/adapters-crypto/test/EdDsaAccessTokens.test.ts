import { describe, expect, it } from "@effect/vitest"
import { MemorySigningKeyStore } from "@userkit/adapters-memory"
import { AccessTokens, generateSessionId, generateUserId } from "@userkit/domain"
import { accessTokensContract } from "@userkit/domain/testing"
import { DateTime, Effect, Layer, Redacted } from "effect"
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from "jose"
import { EdDsaAccessTokens, SigningKeyRing } from "../src/index.js"

const ringOptions = (fill: number): SigningKeyRing.Options => ({
  secret: Redacted.make(new Uint8Array(32).fill(fill)),
  tokenLifetime: "15 minutes",
  issuer: "userkit-test",
  audience: "userkit-api",
})

/** Tokens on a ring of their own, on a store of their own: one deployment. */
const deployment = (fill: number) =>
  Layer.provideMerge(
    EdDsaAccessTokens.layer({ ttl: "15 minutes" }),
    Layer.provideMerge(SigningKeyRing.layer(ringOptions(fill)), MemorySigningKeyStore.layer),
  )

accessTokensContract("jwt EdDSA", deployment(1), deployment(2), (userId) =>
  // What else the ring could sign: the same claims under every other type.
  Effect.gen(function* () {
    const ring = yield* SigningKeyRing.SigningKeyRing
    const sessionId = yield* generateSessionId
    return yield* Effect.forEach(["JWT", "refresh+jwt", "application/jwt"], (typ) =>
      ring.sign({ sub: userId, sid: sessionId }, typ),
    )
  }).pipe(Effect.provide(Layer.provideMerge(SigningKeyRing.layer(ringOptions(1)), MemorySigningKeyStore.layer))),
)

describe("EdDsaAccessTokens", () => {
  it.live("issues tokens any JOSE library verifies from the JWKS alone: EdDSA, a kid, typ at+jwt", () =>
    Effect.gen(function* () {
      const tokens = yield* AccessTokens
      const ring = yield* SigningKeyRing.SigningKeyRing
      const grant = { userId: yield* generateUserId, sessionId: yield* generateSessionId }
      const token = Redacted.value((yield* tokens.issue(grant, yield* DateTime.now)).token)
      const jwks = yield* ring.jwks
      const header = decodeProtectedHeader(token)
      expect(header).toMatchObject({ alg: "EdDSA", typ: "at+jwt", kid: jwks.keys[0]?.kid })
      const { payload } = yield* Effect.promise(() =>
        jwtVerify(token, createLocalJWKSet({ keys: [...jwks.keys] }), {
          issuer: "userkit-test",
          audience: "userkit-api",
          typ: "at+jwt",
        }),
      )
      expect(payload).toMatchObject({ sub: grant.userId, sid: grant.sessionId })
    }).pipe(Effect.provide(deployment(3))),
  )
})
