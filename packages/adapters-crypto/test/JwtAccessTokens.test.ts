import { createSecretKey } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import { AccessTokens, InvalidToken, SessionId, UserId } from "@userkit/domain"
import { accessTokensContract } from "@userkit/domain/testing"
import { Cause, Clock, DateTime, Effect, Either, Exit, Redacted, TestClock } from "effect"
import { decodeProtectedHeader, type JWTHeaderParameters, type JWTPayload, SignJWT } from "jose"
import { JwtAccessTokens } from "../src/index.js"

const secret = "test-secret-of-at-least-32-bytes-for-hs256"
const options: JwtAccessTokens.Options = {
  secret: Redacted.make(secret),
  issuer: "userkit-test",
  audience: "userkit-api",
  ttl: "15 minutes",
}
const layer = JwtAccessTokens.layer(options)

const userId = UserId.make("0190a5a0-0000-7000-8000-000000000001")
const sessionId = SessionId.make("5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6")
const grant = { userId, sessionId }
const issueNow = Effect.flatMap(Effect.all([AccessTokens, DateTime.now]), ([tokens, now]) => tokens.issue(grant, now))
const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url")

// Claims valid at the test's Clock, which it.layer shares between the tests of a block.
const claimsFor = (sub: UserId) =>
  Effect.map(Clock.currentTimeMillis, (millis): JWTPayload => {
    const now = Math.floor(millis / 1000)
    return { sub, sid: sessionId, iss: options.issuer, aud: options.audience, iat: now, exp: now + 900 }
  })
const validClaims = claimsFor(userId)

const signWith = (claims: JWTPayload, header: JWTHeaderParameters) =>
  Effect.promise(() => new SignJWT(claims).setProtectedHeader(header).sign(createSecretKey(Buffer.from(secret))))

const signed = (
  edit: (claims: JWTPayload) => JWTPayload = (claims) => claims,
  header: JWTHeaderParameters = { alg: "HS256", typ: "at+jwt" },
) => Effect.flatMap(validClaims, (claims) => signWith(edit(claims), header))

// What else a deployment might sign with the same key: the generic type, no type, other kinds.
const otherTypes = ["JWT", "application/jwt", "refresh+jwt", undefined]
const headerOfType = (typ: string | undefined): JWTHeaderParameters =>
  typ === undefined ? { alg: "HS256" } : { alg: "HS256", typ }

accessTokensContract(
  "jwt HS256",
  layer,
  JwtAccessTokens.layer({ ...options, secret: Redacted.make("another-secret-of-at-least-32-bytes-long") }),
  (user) =>
    Effect.flatMap(claimsFor(user), (claims) =>
      Effect.forEach(otherTypes, (typ) => signWith(claims, headerOfType(typ))),
    ),
)

const verified = (token: string) =>
  Effect.flatMap(AccessTokens, (tokens) => Effect.either(tokens.verify(Redacted.make(token))))

const refused = Either.left(new InvalidToken())

describe("JwtAccessTokens", () => {
  it.layer(layer)((it) => {
    // Without this, the refusals below could pass for a reason other than the one they name.
    it.effect("accepts a token signed by hand with the secret and the expected claims", () =>
      Effect.gen(function* () {
        expect(yield* verified(yield* signed())).toEqual(Either.right(grant))
      }),
    )

    it.effect("issues tokens typed at+jwt (RFC 9068)", () =>
      Effect.gen(function* () {
        const issued = yield* issueNow
        expect(decodeProtectedHeader(Redacted.value(issued.token))).toEqual({ alg: "HS256", typ: "at+jwt" })
      }),
    )

    it.effect("refuses a token of another type, signed with the secret and carrying the expected claims", () =>
      Effect.gen(function* () {
        // The same claims typed at+jwt pass (and are now remembered): only the type differs below.
        expect(yield* verified(yield* signed())).toEqual(Either.right(grant))
        for (const typ of otherTypes) {
          expect(yield* verified(yield* signed(undefined, headerOfType(typ)))).toEqual(refused)
        }
        expect(yield* verified(yield* signed(undefined, { alg: "HS256", typ: "application/at+jwt" }))).toEqual(
          Either.right(grant),
        )
      }),
    )

    it.effect("accepts a token until the second it expires, with no leeway", () =>
      Effect.gen(function* () {
        const issued = yield* issueNow
        expect(issued.expiresIn).toBe(900)
        yield* TestClock.adjust("899 seconds")
        expect(yield* verified(Redacted.value(issued.token))).toEqual(Either.right(grant))
        yield* TestClock.adjust("1 second")
        expect(yield* verified(Redacted.value(issued.token))).toEqual(refused)
      }),
    )

    it.effect("refuses an altered copy of a token it has already verified", () =>
      Effect.gen(function* () {
        const token = yield* signed()
        expect(yield* verified(token)).toEqual(Either.right(grant))
        const [header, payload, signature] = token.split(".")
        const forged = `${header}.${base64url({ ...JSON.parse(Buffer.from(payload ?? "", "base64url").toString()), sub: "0190a5a0-0000-7000-8000-000000000002" })}.${signature}`
        expect(yield* verified(forged)).toEqual(refused)
        // A character in the middle of the signature: the last one may only carry padding bits.
        const middle = token.length - 20
        expect(
          yield* verified(`${token.slice(0, middle)}${token[middle] === "A" ? "B" : "A"}${token.slice(middle + 1)}`),
        ).toEqual(refused)
        expect(yield* verified(token)).toEqual(Either.right(grant))
      }),
    )

    it.effect("refuses an unsigned token (alg: none) with valid claims", () =>
      Effect.gen(function* () {
        const token = `${base64url({ alg: "none", typ: "at+jwt" })}.${base64url(yield* validClaims)}.`
        expect(yield* verified(token)).toEqual(refused)
      }),
    )

    it.effect("refuses a token for another audience or from another issuer, even signed with the secret", () =>
      Effect.gen(function* () {
        expect(yield* verified(yield* signed((claims) => ({ ...claims, aud: "another-api" })))).toEqual(refused)
        expect(yield* verified(yield* signed((claims) => ({ ...claims, iss: "another-issuer" })))).toEqual(refused)
      }),
    )

    it.effect("refuses a token signed with HS512 under the same secret", () =>
      Effect.gen(function* () {
        expect(yield* verified(yield* signed(undefined, { alg: "HS512", typ: "at+jwt" }))).toEqual(refused)
      }),
    )

    it.effect("refuses a token whose subject is not a user id", () =>
      Effect.gen(function* () {
        expect(yield* verified(yield* signed((claims) => ({ ...claims, sub: "admin" })))).toEqual(refused)
      }),
    )

    it.effect("refuses a token missing its subject, expiry or issue time", () =>
      Effect.gen(function* () {
        expect(yield* verified(yield* signed(({ sub: _, ...claims }) => claims))).toEqual(refused)
        expect(yield* verified(yield* signed(({ exp: _, ...claims }) => claims))).toEqual(refused)
        expect(yield* verified(yield* signed(({ iat: _, ...claims }) => claims))).toEqual(refused)
      }),
    )

    it.effect("refuses a correctly signed token longer than 4096 characters", () =>
      Effect.gen(function* () {
        expect(yield* verified(yield* signed((claims) => ({ ...claims, padding: "x".repeat(4096) })))).toEqual(refused)
      }),
    )
  })

  it.effect("refuses to start with a secret shorter than 32 bytes, without echoing it", () =>
    Effect.gen(function* () {
      const short = "s".repeat(31)
      const exit = yield* Effect.exit(
        Effect.provide(AccessTokens, JwtAccessTokens.layer({ ...options, secret: Redacted.make(short) })),
      )
      expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      if (Exit.isFailure(exit)) {
        const report = Cause.pretty(exit.cause)
        expect(report).toContain("SECRET_KEY must be at least 32 bytes")
        expect(report).not.toContain(short)
      }
    }),
  )
})
