import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Either, type Layer, Redacted, TestClock } from "effect"
import { AccessTokens, type TokenGrant } from "../auth/AccessTokens.js"
import { InvalidToken } from "../auth/errors.js"
import { generateSessionId } from "../sessions/Session.js"
import { generateUserId, type UserId } from "../users/User.js"

/** A grant for a new user and session. */
const aGrant: Effect.Effect<TokenGrant> = Effect.all({ userId: generateUserId, sessionId: generateSessionId })
/** `grant` issued now. */
const issueNow = (grant: TokenGrant) =>
  Effect.flatMap(Effect.all([AccessTokens, DateTime.now]), ([tokens, now]) => tokens.issue(grant, now))

/**
 * The specification of AccessTokens. `foreign` is another issuer (another secret, say) whose
 * tokens this one must refuse. `otherKinds` makes, for a user, the tokens of every other kind the
 * same deployment could sign with the same key (refresh, reset, verification), valid in all but
 * their kind at the test's Clock: none may pass as an access token. An issuer that makes no other
 * kind answers none. Tokens must live less than a day; time is the test's Clock.
 */
export const accessTokensContract = (
  name: string,
  layer: Layer.Layer<AccessTokens, unknown>,
  foreign: Layer.Layer<AccessTokens, unknown>,
  otherKinds: (userId: UserId) => Effect.Effect<ReadonlyArray<string>>,
) =>
  describe(`AccessTokens contract: ${name}`, () => {
    const refused = (token: string) =>
      Effect.gen(function* () {
        const tokens = yield* AccessTokens
        expect(yield* Effect.either(tokens.verify(Redacted.make(token)))).toEqual(Either.left(new InvalidToken()))
      })

    it.effect("verifies a token it issued as naming the same user and session", () =>
      Effect.gen(function* () {
        const tokens = yield* AccessTokens
        const grant = yield* aGrant
        const issued = yield* issueNow(grant)
        expect(issued.expiresIn).toBeGreaterThan(0)
        expect(yield* tokens.verify(issued.token)).toEqual(grant)
      }).pipe(Effect.provide(layer)),
    )

    it.effect("issues the same token for the same grant at the same instant, another one at another", () =>
      Effect.gen(function* () {
        const tokens = yield* AccessTokens
        const grant = yield* aGrant
        const issuedAt = yield* DateTime.now
        const first = yield* tokens.issue(grant, issuedAt)
        yield* TestClock.adjust("3 seconds")
        // Replayed 3 s later: the same token, 3 s closer to its end.
        const again = yield* tokens.issue(grant, issuedAt)
        expect(Redacted.value(again.token)).toBe(Redacted.value(first.token))
        expect(again.expiresIn).toBe(first.expiresIn - 3)
        const later = yield* tokens.issue(grant, yield* DateTime.now)
        expect(Redacted.value(later.token)).not.toBe(Redacted.value(first.token))
        const otherSession = yield* tokens.issue({ ...grant, sessionId: (yield* aGrant).sessionId }, issuedAt)
        expect(Redacted.value(otherSession.token)).not.toBe(Redacted.value(first.token))
      }).pipe(Effect.provide(layer)),
    )

    it.effect("accepts its own token until expiresIn seconds have passed, and refuses it from then on", () =>
      Effect.gen(function* () {
        const tokens = yield* AccessTokens
        const grant = yield* aGrant
        const issued = yield* issueNow(grant)
        yield* TestClock.adjust(`${issued.expiresIn - 1} seconds`)
        expect(yield* tokens.verify(issued.token)).toEqual(grant)
        yield* TestClock.adjust("1 second")
        expect(yield* Effect.either(tokens.verify(issued.token))).toEqual(Either.left(new InvalidToken()))
        yield* TestClock.adjust("1 day")
        expect(yield* Effect.either(tokens.verify(issued.token))).toEqual(Either.left(new InvalidToken()))
      }).pipe(Effect.provide(layer)),
    )

    it.effect("refuses garbage, empty and tampered tokens", () =>
      Effect.gen(function* () {
        const issued = Redacted.value((yield* issueNow(yield* aGrant)).token)
        const last = issued.at(-2) === "A" ? "B" : "A"
        for (const token of [
          "",
          "garbage",
          "a.b.c",
          `${issued.slice(0, -2)}${last}${issued.slice(-1)}`,
          `${issued}x`,
        ]) {
          yield* refused(token)
        }
      }).pipe(Effect.provide(layer)),
    )

    it.effect("refuses a token of another kind, even one signed with the same key for the same user", () =>
      Effect.gen(function* () {
        const userId = yield* generateUserId
        for (const token of yield* otherKinds(userId)) yield* refused(token)
      }).pipe(Effect.provide(layer)),
    )

    it.effect("refuses a token from another issuer", () =>
      Effect.gen(function* () {
        const issued = yield* issueNow(yield* aGrant).pipe(Effect.provide(foreign))
        yield* refused(Redacted.value(issued.token)).pipe(Effect.provide(layer))
      }),
    )
  })
