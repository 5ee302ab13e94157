import { describe, expect, it } from "@effect/vitest"
import { MemorySigningKeyStore } from "@userkit/adapters-memory"
import { InvalidToken, SigningKey, SigningKeyStore } from "@userkit/domain"
import { Cause, DateTime, Effect, Either, Exit, Layer, Option, Redacted, Ref, TestClock } from "effect"
import {
  type CryptoKey,
  calculateJwkThumbprint,
  createLocalJWKSet,
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWTHeaderParameters,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from "jose"
import { SigningKeyRing } from "../src/index.js"

const START = Date.parse("2026-01-05T09:00:00.000Z")
const options: SigningKeyRing.Options = {
  secret: Redacted.make(new Uint8Array(32).fill(7)),
  rotateEvery: "30 days",
  tokenLifetime: "15 minutes",
  issuer: "userkit-test",
  audience: "userkit-api",
}
const AT = "at+jwt"
const claims = { sub: "0190a5a0-0000-7000-8000-000000000001", sid: "a-session" }

type Ring = SigningKeyRing.SigningKeyRing["Type"]
const ring = (overrides: Partial<SigningKeyRing.Options> = {}) => SigningKeyRing.make({ ...options, ...overrides })
const verified = (of: Ring, token: string, typ = AT) => Effect.either(of.verify(token, { typ }))
const refused = Either.left(new InvalidToken())
const kidOf = (token: string) => decodeProtectedHeader(token).kid
const nowSeconds = Effect.map(TestClock.currentTimeMillis, (millis) => Math.floor(millis / 1000))
const DAY = 86_400_000

/** A test from START on the TestClock, on an empty memory store. */
const test = (title: string, body: Effect.Effect<void, never, SigningKeyStore>) =>
  it.effect(title, () => Effect.provide(Effect.andThen(TestClock.setTime(START), body), MemorySigningKeyStore.layer))

/** A key made by hand and stored before any ring starts, so the test holds its private half to forge with. */
const plantedKey = Effect.gen(function* () {
  const planted = yield* SigningKeyRing.generateKey(options, DateTime.unsafeMake(START))
  yield* Effect.flatMap(SigningKeyStore, (store) => store.addIfNoneCurrent(planted.key, DateTime.unsafeMake(START)))
  return planted
})

/** A token signed with `key` and `header`, carrying valid claims unless `edit` changes them. */
const forged = (
  key: CryptoKey | Uint8Array,
  header: JWTHeaderParameters,
  edit: (valid: JWTPayload) => JWTPayload = (valid) => valid,
) =>
  Effect.flatMap(nowSeconds, (now) => {
    const valid = { ...claims, iss: options.issuer, aud: options.audience, iat: now, exp: now + 900 }
    return Effect.promise(() => new SignJWT(edit(valid)).setProtectedHeader(header).sign(key))
  })

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url")

describe("SigningKeyRing", () => {
  test(
    "signs EdDSA tokens naming their key, with the ring's issuer, audience and lifetime, and verifies them",
    Effect.gen(function* () {
      const tokens = yield* ring()
      const token = yield* tokens.sign(claims, AT)
      const { keys } = yield* tokens.jwks
      expect(decodeProtectedHeader(token)).toEqual({ alg: "EdDSA", kid: keys[0]?.kid, typ: AT })
      const now = yield* nowSeconds
      const expected = { ...claims, iss: options.issuer, aud: options.audience, iat: now, exp: now + 900 }
      expect(yield* verified(tokens, token)).toEqual(Either.right(expected))
    }),
  )

  test(
    "publishes the public half only, named by its RFC 7638 thumbprint, and a standard JOSE verifier accepts its tokens",
    Effect.gen(function* () {
      const tokens = yield* ring()
      const jwks = yield* tokens.jwks
      expect(jwks.keys).toHaveLength(1)
      const [published] = jwks.keys
      if (published === undefined) return expect.fail("no published key")
      expect(Object.keys(published).sort()).toEqual(["alg", "crv", "kid", "kty", "use", "x"])
      expect(published).toMatchObject({ kty: "OKP", crv: "Ed25519", alg: "EdDSA", use: "sig" })
      const { kty, crv, x } = published
      expect(published.kid).toBe(yield* Effect.promise(() => calculateJwkThumbprint({ kty, crv, x })))
      // As another service would: the JWKS document, jose's key set, no secret.
      const document = JSON.parse(JSON.stringify(jwks))
      const token = yield* tokens.sign(claims, AT)
      const { payload } = yield* Effect.promise(() =>
        jwtVerify(token, createLocalJWKSet(document), {
          issuer: options.issuer,
          audience: options.audience,
          typ: AT,
          currentDate: new Date(START),
        }),
      )
      expect(payload.sub).toBe(claims.sub)
    }),
  )

  test(
    "rotates after rotateEvery: the old key's tokens verify until they expire, and it stays published until publishedUntil",
    Effect.gen(function* () {
      const tokens = yield* ring()
      const first = yield* tokens.sign(claims, AT)
      yield* TestClock.setTime(START + 30 * DAY - 1000)
      const lastOfOld = yield* tokens.sign(claims, AT)
      expect(kidOf(lastOfOld)).toBe(kidOf(first))
      yield* TestClock.adjust("1 seconds")
      const firstOfNew = yield* tokens.sign(claims, AT)
      expect(kidOf(firstOfNew)).not.toBe(kidOf(first))
      expect((yield* tokens.jwks).keys.map((key) => key.kid)).toEqual([kidOf(firstOfNew), kidOf(first)])
      // lastOfOld expires at 30 days + 899 s, and is accepted up to 30 s past that.
      yield* TestClock.setTime(START + 30 * DAY + 928_000)
      expect(Either.isRight(yield* verified(tokens, lastOfOld))).toBe(true)
      yield* TestClock.setTime(START + 30 * DAY + 929_000)
      expect(yield* verified(tokens, lastOfOld)).toEqual(refused)
      expect(Either.isRight(yield* verified(tokens, firstOfNew))).toBe(true)
      // The old key is published until the rotation + the token lifetime + the 30 s of tolerance.
      yield* TestClock.setTime(START + 30 * DAY + 930_000 - 1)
      expect((yield* tokens.jwks).keys).toHaveLength(2)
      yield* TestClock.setTime(START + 30 * DAY + 930_000)
      expect((yield* tokens.jwks).keys.map((key) => key.kid)).toEqual([kidOf(firstOfNew)])
    }),
  )

  test(
    "publishes the next key an hour before it signs, so a verifier caching the JWKS knows it in time",
    Effect.gen(function* () {
      const tokens = yield* ring()
      const first = kidOf(yield* tokens.sign(claims, AT))
      yield* TestClock.setTime(START + 30 * DAY - 2 * 3_600_000)
      expect((yield* tokens.jwks).keys.map((key) => key.kid)).toEqual([first])
      // Within the hour before the rotation, the next reload (every 5 minutes) stores the next key.
      yield* TestClock.setTime(START + 30 * DAY - 3_600_000 + 5 * 60_000)
      const published = (yield* tokens.jwks).keys.map((key) => key.kid)
      expect(published).toHaveLength(2)
      expect(published[1]).toBe(first)
      expect(kidOf(yield* tokens.sign(claims, AT))).toBe(first)
      yield* TestClock.setTime(START + 30 * DAY)
      expect(kidOf(yield* tokens.sign(claims, AT))).toBe(published[0])
    }),
  )

  test(
    "two instances on one store sign with one key and verify each other's tokens; one learns of a key the other stored",
    Effect.gen(function* () {
      const [one, two] = yield* Effect.all([ring(), ring()], { concurrency: "unbounded" })
      const [fromOne, fromTwo] = [yield* one.sign(claims, AT), yield* two.sign(claims, AT)]
      expect(kidOf(fromOne)).toBe(kidOf(fromTwo))
      expect(Either.isRight(yield* verified(two, fromOne))).toBe(true)
      expect(Either.isRight(yield* verified(one, fromTwo))).toBe(true)
      // Two reads the store a few seconds before the rotation time (any read would do) ...
      yield* TestClock.setTime(START + 30 * DAY - 10_000)
      yield* two.jwks
      // ... and one, its clock 6 s ahead, rotates: the shared TestClock stands for each instance's clock in turn.
      yield* TestClock.setTime(START + 30 * DAY)
      const rotated = yield* one.sign(claims, AT)
      expect(kidOf(rotated)).not.toBe(kidOf(fromOne))
      // For two, the current key still signs and its cache is 6 s old: only the unknown kid sends it to the store.
      yield* TestClock.setTime(START + 30 * DAY - 4_000)
      expect(Either.isRight(yield* verified(two, rotated))).toBe(true)
      expect(kidOf(yield* two.sign(claims, AT))).toBe(kidOf(fromOne))
      yield* TestClock.setTime(START + 30 * DAY)
      expect(kidOf(yield* two.sign(claims, AT))).toBe(kidOf(rotated))
    }),
  )

  test(
    "verifies at once a token from a key another instance stored as they both started, its clock behind",
    Effect.gen(function* () {
      const one = yield* ring()
      // Two starts 2 s behind: one's key was made after two's now, so none is current for two, which stores its own.
      yield* TestClock.setTime(START - 2_000)
      const two = yield* ring()
      yield* TestClock.setTime(START + 1_000)
      const fromTwo = yield* two.sign(claims, AT)
      expect(kidOf(fromTwo)).not.toBe(kidOf(yield* one.sign(claims, AT)))
      // One loaded 1 s ago and never saw two's key: the unknown kid sends it to the store at once.
      expect(Either.isRight(yield* verified(one, fromTwo))).toBe(true)
    }),
  )

  it.effect(
    "reads the store for the first unknown kid at once, then at most once every 5 seconds, however many arrive",
    () =>
      Effect.gen(function* () {
        yield* TestClock.setTime(START)
        const reads = yield* Ref.make(0)
        const counting = Layer.effect(
          SigningKeyStore,
          Effect.map(MemorySigningKeyStore.make, (store) => ({
            ...store,
            published: (now: DateTime.Utc) =>
              Effect.zipRight(
                Ref.update(reads, (n) => n + 1),
                store.published(now),
              ),
          })),
        )
        yield* Effect.gen(function* () {
          const tokens = yield* ring()
          const foreign = (yield* Effect.promise(() => generateKeyPair("EdDSA", { extractable: true }))).privateKey
          const strangers = yield* Effect.forEach(Array.from({ length: 20 }), () =>
            forged(foreign, { alg: "EdDSA", kid: crypto.randomUUID(), typ: AT }),
          )
          const before = yield* Ref.get(reads)
          for (const token of strangers) expect(yield* verified(tokens, token)).toEqual(refused)
          expect(yield* Ref.get(reads)).toBe(before + 1)
          yield* TestClock.adjust("4 seconds")
          for (const token of strangers) expect(yield* verified(tokens, token)).toEqual(refused)
          expect(yield* Ref.get(reads)).toBe(before + 1)
          yield* TestClock.adjust("1 second")
          for (const token of strangers) expect(yield* verified(tokens, token)).toEqual(refused)
          expect(yield* Ref.get(reads)).toBe(before + 2)
        }).pipe(Effect.provide(counting))
      }),
  )

  describe("refuses every forgery", () => {
    interface Forger {
      /** The planted key's private half: what a forgery signed "with the real key" uses. */
      readonly real: CryptoKey
      readonly kid: string
      /** What anyone may read: the published JWK. */
      readonly published: SigningKeyRing.PublishedJwk
    }
    /** The planted key, a ring that signs with it, and what a forger may hold: the JWKS, a key of its own. */
    const forgeryTest = (title: string, forge: (forger: Forger) => Effect.Effect<string>) =>
      test(
        title,
        Effect.gen(function* () {
          const { key, privateKey } = yield* plantedKey
          const tokens = yield* ring()
          const [published] = (yield* tokens.jwks).keys
          if (published === undefined) return expect.fail("no published key")
          // The real key and valid claims pass: each forgery below fails for the reason its title names.
          const honest = yield* forged(privateKey, { alg: "EdDSA", kid: key.kid, typ: AT })
          expect(Either.isRight(yield* verified(tokens, honest))).toBe(true)
          const token = yield* forge({ real: privateKey, kid: key.kid, published })
          expect(yield* verified(tokens, token)).toEqual(refused)
        }),
      )
    const header = (kid: string) => ({ alg: "EdDSA", kid, typ: AT })
    const aForeignKey = Effect.promise(() => generateKeyPair("EdDSA", { extractable: true }))

    forgeryTest("alg none, naming a published kid", ({ real, kid }) =>
      Effect.map(forged(real, header(kid)), (token) => {
        const [, payload] = token.split(".")
        return `${base64url({ alg: "none", kid, typ: AT })}.${payload}.`
      }),
    )
    forgeryTest("a kid no key has, signed with the real key", ({ real }) => forged(real, header("not-a-kid")))
    forgeryTest("no kid, signed with the real key", ({ real }) => forged(real, { alg: "EdDSA", typ: AT }))
    forgeryTest("HS256 keyed with the public key's bytes (x)", ({ kid, published }) =>
      forged(Buffer.from(published.x, "base64url"), { alg: "HS256", kid, typ: AT }),
    )
    forgeryTest("HS256 keyed with the published JWK's text", ({ kid, published }) =>
      forged(Buffer.from(JSON.stringify(published)), { alg: "HS256", kid, typ: AT }),
    )
    // Not a forgery, but the pin: a key verifies under its own algorithm's name only.
    forgeryTest("the real key under another name of its algorithm (Ed25519, RFC 9864)", ({ real, kid }) =>
      forged(real, { ...header(kid), alg: "Ed25519" }),
    )
    forgeryTest("EdDSA signed with a foreign key, naming a published kid", ({ kid }) =>
      Effect.flatMap(aForeignKey, ({ privateKey }) => forged(privateKey, header(kid))),
    )
    forgeryTest("another typ (a plain JWT)", ({ real, kid }) => forged(real, { ...header(kid), typ: "JWT" }))
    forgeryTest("another issuer", ({ real, kid }) =>
      forged(real, header(kid), (valid) => ({ ...valid, iss: "someone-else" })),
    )
    forgeryTest("another audience", ({ real, kid }) =>
      forged(real, header(kid), (valid) => ({ ...valid, aud: "another-api" })),
    )
    forgeryTest("no exp", ({ real, kid }) => forged(real, header(kid), ({ exp: _, ...valid }) => valid))
    forgeryTest("nbf more than 30 s ahead", ({ real, kid }) =>
      forged(real, header(kid), (valid) => ({ ...valid, nbf: (valid.iat ?? 0) + 31 })),
    )
    forgeryTest("iat more than 30 s ahead", ({ real, kid }) =>
      forged(real, header(kid), (valid) => ({ ...valid, iat: (valid.iat ?? 0) + 31 })),
    )
    forgeryTest("a payload altered after signing", ({ real, kid }) =>
      Effect.map(forged(real, header(kid)), (token) => {
        const [signedHeader, , signature] = token.split(".")
        const altered = { ...decodeJwt(token), sub: "0190a5a0-0000-7000-8000-000000000002" }
        return `${signedHeader}.${base64url(altered)}.${signature}`
      }),
    )

    test(
      "accepts 30 s of clock skew on exp, nbf and iat, and not a second more",
      Effect.gen(function* () {
        const { key, privateKey } = yield* plantedKey
        const tokens = yield* ring()
        const ahead = (seconds: number) =>
          forged(privateKey, header(key.kid), (valid) => ({
            ...valid,
            iat: (valid.iat ?? 0) + seconds,
            nbf: (valid.iat ?? 0) + seconds,
          }))
        expect(Either.isRight(yield* verified(tokens, yield* ahead(30)))).toBe(true)
        expect(yield* verified(tokens, yield* ahead(31))).toEqual(refused)
        const token = yield* tokens.sign(claims, AT)
        yield* TestClock.adjust("15 minutes")
        yield* TestClock.adjust("29 seconds")
        expect(Either.isRight(yield* verified(tokens, token))).toBe(true)
        yield* TestClock.adjust("1 seconds")
        expect(yield* verified(tokens, token)).toEqual(refused)
      }),
    )
  })

  describe("sealed private keys", () => {
    test(
      "the store holds the private key only sealed: the JWK's d appears in no stored field",
      Effect.gen(function* () {
        const { key, privateKey } = yield* plantedKey
        const { d } = yield* Effect.promise(() => exportJWK(privateKey))
        if (d === undefined) return expect.fail("the private key exported no d")
        const [stored] = yield* Effect.flatMap(SigningKeyStore, (store) => store.published(DateTime.unsafeMake(START)))
        expect(stored).toEqual(key)
        const text = JSON.stringify(stored)
        const bytes = Buffer.from(d, "base64url")
        expect(bytes).toHaveLength(32)
        for (const form of [d, bytes.toString("base64"), bytes.toString("hex")]) expect(text).not.toContain(form)
      }),
    )

    test(
      "a ring with another secret fails at start, saying the keys were sealed under another SECRET_KEY, quoting none",
      Effect.gen(function* () {
        const { key } = yield* plantedKey
        const other = Redacted.make(new Uint8Array(32).fill(8))
        const exit = yield* Effect.exit(ring({ secret: other }))
        const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
        expect(message).toContain("sealed under another SECRET_KEY")
        expect(message).toContain(key.kid)
        expect(message).not.toContain(key.sealedPrivateKey)
        expect(message).not.toContain(key.publicJwk.x)
      }),
    )

    test(
      "a sealed key copied into a row of another kid does not unseal there, even with its public half",
      Effect.gen(function* () {
        const at = DateTime.unsafeMake(START)
        const { key } = yield* SigningKeyRing.generateKey(options, at)
        const copied = new SigningKey({ ...key, kid: "another-kid" })
        yield* Effect.flatMap(SigningKeyStore, (store) => store.addIfNoneCurrent(copied, at))
        const exit = yield* Effect.exit(ring())
        const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
        expect(message).toContain("signing key another-kid cannot be unsealed")
      }),
    )
    test(
      "a sealed key whose private half is another key's does not sign: the ring refuses it at start",
      Effect.gen(function* () {
        const at = DateTime.unsafeMake(START)
        const { key } = yield* SigningKeyRing.generateKey(options, at)
        const other = yield* SigningKeyRing.generateKey(options, at)
        // Sealed as the ring seals (AES-256-GCM under the HKDF of the secret, the kid as associated
        // data): only a holder of SECRET_KEY could write it; its x still names the published key.
        const { d } = JSON.parse(Option.getOrThrow(SigningKeyRing.unsealPrivateJwk(options.secret, other.key))) as {
          d: string
        }
        const mismatched = new SigningKey({
          ...key,
          sealedPrivateKey: SigningKeyRing.sealPrivateJwk(
            options.secret,
            key.kid,
            JSON.stringify({ ...key.publicJwk, d }),
          ),
        })
        yield* Effect.flatMap(SigningKeyStore, (store) => store.addIfNoneCurrent(mismatched, at))
        const exit = yield* Effect.exit(ring())
        const message = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
        expect(message).toContain(`signing key ${key.kid} cannot be unsealed`)
        expect(message).not.toContain(d)
      }),
    )
  })

  describe("misuse", () => {
    test(
      "refuses to start with a secret under 32 bytes",
      Effect.gen(function* () {
        const exit = yield* Effect.exit(ring({ secret: Redacted.make(new Uint8Array(31)) }))
        expect(Exit.isFailure(exit) ? Cause.pretty(exit.cause) : "").toContain("at least 32 bytes")
      }),
    )

    test(
      "refuses to sign a token that would outlive its key's publication",
      Effect.gen(function* () {
        const tokens = yield* ring()
        const exp = (yield* nowSeconds) + 901
        expect(Exit.isFailure(yield* Effect.exit(tokens.sign({ ...claims, exp }, AT)))).toBe(true)
        const shorter = yield* tokens.sign({ ...claims, exp: exp - 600 }, AT)
        expect(decodeJwt(shorter).exp).toBe(exp - 600)
      }),
    )
  })
})
