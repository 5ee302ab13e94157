import { describe, expect, it } from "@effect/vitest"
import { Array as Arr, DateTime, Duration, Effect, Exit, type Layer } from "effect"
import { AccountToken, AccountTokenHash, Redemption, type TokenPurpose } from "../recovery/AccountToken.js"
import { AccountTokenStore } from "../recovery/AccountTokenStore.js"
import type { UserId } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import { aStoredUser } from "./fixtures.js"

const START = DateTime.unsafeMake("2026-01-05T09:00:00.000Z")
const LIFETIME = Duration.hours(1)
const FIBERS = 50
const PAIRS = 25
const ROUNDS = 8

const at = (millis: number) => DateTime.add(START, { millis })
const valid = (token: AccountToken) => Redemption.Valid({ token })
const used = Redemption.Used()
const expired = Redemption.Expired()
const unknown = Redemption.Unknown()

/** An emailed token's hash never stored before. */
export const anAccountTokenHash = (): AccountTokenHash => AccountTokenHash.make(`sha256-${crypto.randomUUID()}`)

/** A user stored through the layer's UserRepository: a token belongs to one. */
const aUser = Effect.gen(function* () {
  const stored = aStoredUser()
  yield* Effect.orDie(Effect.flatMap(UserRepository, (users) => users.insert(stored)))
  return stored.user
})

/** A password-reset token of `user`, made at START and live for an hour, not yet stored. */
const aToken = (
  user: { readonly id: UserId; readonly email: AccountToken["email"] },
  overrides: Partial<ConstructorParameters<typeof AccountToken>[0]> = {},
) =>
  new AccountToken({
    hash: anAccountTokenHash(),
    purpose: "password_reset",
    userId: user.id,
    email: user.email,
    createdAt: START,
    expiresAt: DateTime.addDuration(START, LIFETIME),
    ...overrides,
  })

const issue = (token: AccountToken) => Effect.flatMap(AccountTokenStore, (store) => store.issue(token))
const find = (token: Pick<AccountToken, "hash" | "purpose">, now = START) =>
  Effect.flatMap(AccountTokenStore, (store) => store.find(token.hash, token.purpose, now))
const redeem = (token: Pick<AccountToken, "hash" | "purpose">, now = START) =>
  Effect.flatMap(AccountTokenStore, (store) => store.redeem(token.hash, token.purpose, now))
const revokeAll = (userId: UserId, purpose: TokenPurpose = "password_reset") =>
  Effect.flatMap(AccountTokenStore, (store) => store.revokeAll(userId, purpose))
const purge = (before: DateTime.Utc) => Effect.flatMap(AccountTokenStore, (store) => store.purge(before))
const deleteUser = (id: UserId) => Effect.orDie(Effect.flatMap(UserRepository, (users) => users.delete(id)))
const tagsOf = (answers: ReadonlyArray<Redemption>) => answers.map((r) => r._tag).sort()

/**
 * The effects all at once, each fiber yielding every 16 steps (Effect's default is 2048) after
 * `skew(i)` steps of its own, so that its yields fall at another point of the call: in some race
 * a fiber is caught between an in-memory store's read and its write, as a database's statements
 * would interleave. Many fibers making one call: the same skew for all, another each round (the
 * first to arrive decides; at the wrong phase it reads and writes in one slice, and the race
 * passes whatever the store). Different calls: a different skew for each fiber.
 */
const all = <A, E, R>(effects: ReadonlyArray<Effect.Effect<A, E, R>>, skew: (i: number) => number) =>
  Effect.all(
    effects.map((effect, i) => Effect.andThen(steps(skew(i)), effect)),
    { concurrency: "unbounded" },
  ).pipe(Effect.withMaxOpsBeforeYield(16))
/** Each fiber a step later than the one before, modulo the yield interval. */
const staggered = (i: number) => i % 16
const steps = (n: number) => Effect.forEach(Array.from({ length: n }), () => Effect.void, { discard: true })

/**
 * The specification of an AccountTokenStore. `layer` gives the store and a UserRepository on the
 * same storage, built afresh for every test. Time is what the test passes in; the store reads no
 * clock.
 */
export const accountTokenStoreContract = (
  name: string,
  layer: Layer.Layer<AccountTokenStore | UserRepository, unknown>,
) =>
  describe(`AccountTokenStore contract: ${name}`, () => {
    const test = (title: string, body: Effect.Effect<void, never, AccountTokenStore | UserRepository>) =>
      it.effect(title, () => Effect.provide(body, layer), 60_000)

    describe("issuing and finding", () => {
      test(
        "finds an issued token Valid with every field as given, and finding it changes nothing",
        Effect.gen(function* () {
          const user = yield* aUser
          const token = aToken(user, { purpose: "email_verification" })
          yield* issue(token)
          expect(yield* find(token)).toEqual(valid(token))
          expect(yield* find(token)).toEqual(valid(token))
          expect(yield* redeem(token)).toEqual(valid(token))
        }),
      )

      test(
        "knows no hash it never stored, nor a token presented for the other purpose",
        Effect.gen(function* () {
          const user = yield* aUser
          const token = aToken(user)
          yield* issue(token)
          const otherPurpose = { hash: token.hash, purpose: "email_verification" } as const
          expect(yield* find(otherPurpose)).toEqual(unknown)
          expect(yield* redeem(otherPurpose)).toEqual(unknown)
          expect(yield* find({ hash: anAccountTokenHash(), purpose: "password_reset" })).toEqual(unknown)
          expect(yield* redeem({ hash: anAccountTokenHash(), purpose: "password_reset" })).toEqual(unknown)
          expect(yield* find(token)).toEqual(valid(token))
        }),
      )

      test(
        "replaces the account's unredeemed token of the same purpose: the earlier one is Unknown from then on",
        Effect.gen(function* () {
          const [user, other] = [yield* aUser, yield* aUser]
          const first = aToken(user)
          const verification = aToken(user, { purpose: "email_verification" })
          const theirs = aToken(other)
          yield* Effect.forEach([first, verification, theirs], issue)
          const second = aToken(user, { createdAt: at(1000), expiresAt: at(2 * 3_600_000) })
          yield* issue(second)
          expect(yield* find(first)).toEqual(unknown)
          expect(yield* redeem(first)).toEqual(unknown)
          expect(yield* find(second)).toEqual(valid(second))
          // Another purpose of the same account, or another account: untouched.
          expect(yield* find(verification)).toEqual(valid(verification))
          expect(yield* find(theirs)).toEqual(valid(theirs))
        }),
      )

      test(
        "replaces an expired unredeemed token too, and leaves a redeemed one Used",
        Effect.gen(function* () {
          const user = yield* aUser
          const redeemed = aToken(user)
          yield* issue(redeemed)
          yield* redeem(redeemed)
          const lapsed = aToken(user, { expiresAt: at(1) })
          yield* issue(lapsed)
          expect(yield* find(lapsed, at(1))).toEqual(expired)
          const next = aToken(user, { createdAt: at(1) })
          yield* issue(next)
          expect(yield* find(lapsed, at(1))).toEqual(unknown)
          expect(yield* find(redeemed, at(1))).toEqual(used)
          expect(yield* find(next, at(1))).toEqual(valid(next))
        }),
      )

      test(
        "refuses a hash already stored for another token, and keeps that one as it was",
        Effect.gen(function* () {
          const [user, other] = [yield* aUser, yield* aUser]
          const token = aToken(user)
          yield* issue(token)
          const clash = aToken(other, { hash: token.hash })
          expect(Exit.isFailure(yield* Effect.exit(issue(clash)))).toBe(true)
          expect(yield* find(token)).toEqual(valid(token))
        }),
      )

      test(
        "refuses a token for an account that does not exist",
        Effect.gen(function* () {
          const stranger = aStoredUser().user
          const token = aToken(stranger)
          expect(Exit.isFailure(yield* Effect.exit(issue(token)))).toBe(true)
          expect(yield* find(token)).toEqual(unknown)
        }),
      )
    })

    describe("redeeming and expiry", () => {
      test(
        "redeems a live token once: Valid, then Used for every find and redeem after",
        Effect.gen(function* () {
          const token = aToken(yield* aUser)
          yield* issue(token)
          expect(yield* redeem(token, at(10))).toEqual(valid(token))
          expect(yield* redeem(token, at(20))).toEqual(used)
          expect(yield* find(token, at(20))).toEqual(used)
        }),
      )

      test(
        "a token is live until 1 ms before expiresAt, Expired from it on, and redeeming it then changes nothing",
        Effect.gen(function* () {
          const token = aToken(yield* aUser)
          yield* issue(token)
          const end = token.expiresAt
          expect(yield* find(token, DateTime.subtract(end, { millis: 1 }))).toEqual(valid(token))
          expect(yield* find(token, end)).toEqual(expired)
          expect(yield* redeem(token, end)).toEqual(expired)
          expect(yield* redeem(token, DateTime.add(end, { days: 1 }))).toEqual(expired)
          // The store keeps no clock: at an earlier time, the token is still live.
          expect(yield* redeem(token, DateTime.subtract(end, { millis: 1 }))).toEqual(valid(token))
        }),
      )

      test(
        "a token redeemed then past its expiry is Used, not Expired",
        Effect.gen(function* () {
          const token = aToken(yield* aUser)
          yield* issue(token)
          yield* redeem(token)
          expect(yield* find(token, DateTime.add(token.expiresAt, { days: 1 }))).toEqual(used)
          expect(yield* redeem(token, DateTime.add(token.expiresAt, { days: 1 }))).toEqual(used)
        }),
      )
    })

    describe("revoking and purging", () => {
      test(
        "revokes the account's unredeemed tokens of one purpose, answering how many; redeemed ones stay Used",
        Effect.gen(function* () {
          const [user, other] = [yield* aUser, yield* aUser]
          const redeemed = aToken(user)
          yield* issue(redeemed)
          yield* redeem(redeemed)
          const live = aToken(user)
          const verification = aToken(user, { purpose: "email_verification" })
          const theirs = aToken(other)
          yield* Effect.forEach([live, verification, theirs], issue)
          expect(yield* revokeAll(user.id)).toBe(1)
          expect(yield* revokeAll(user.id)).toBe(0)
          expect(yield* find(live)).toEqual(unknown)
          expect(yield* find(redeemed)).toEqual(used)
          expect(yield* find(verification)).toEqual(valid(verification))
          expect(yield* find(theirs)).toEqual(valid(theirs))
          // An expired token is revoked too: it is unredeemed.
          const lapsed = aToken(user, { expiresAt: at(1) })
          yield* issue(lapsed)
          expect(yield* revokeAll(user.id)).toBe(1)
          expect(yield* find(lapsed)).toEqual(unknown)
        }),
      )

      test(
        "purges tokens that expired or were redeemed before `before`, keeps those at it and the live ones, and answers how many",
        Effect.gen(function* () {
          const before = at(60_000)
          const expiredBefore = aToken(yield* aUser, { expiresAt: at(59_999) })
          const expiringAt = aToken(yield* aUser, { expiresAt: before })
          const redeemedBefore = aToken(yield* aUser)
          const redeemedAt = aToken(yield* aUser)
          const live = aToken(yield* aUser)
          yield* Effect.forEach([expiredBefore, expiringAt, redeemedBefore, redeemedAt, live], issue)
          yield* redeem(redeemedBefore, at(59_999))
          yield* redeem(redeemedAt, before)
          expect(yield* purge(at(59_999))).toBe(0)
          expect(yield* purge(before)).toBe(2)
          expect(yield* purge(before)).toBe(0)
          expect(yield* find(expiredBefore, before)).toEqual(unknown)
          expect(yield* find(redeemedBefore, before)).toEqual(unknown)
          expect(yield* find(expiringAt, before)).toEqual(expired)
          expect(yield* find(redeemedAt, before)).toEqual(used)
          expect(yield* find(live)).toEqual(valid(live))
        }),
      )

      test(
        "tokens die with their account: Unknown once it is deleted, revoked and purged by no one",
        Effect.gen(function* () {
          const [user, other] = [yield* aUser, yield* aUser]
          const reset = aToken(user)
          const verification = aToken(user, { purpose: "email_verification" })
          const lapsed = aToken(user, { purpose: "email_verification", expiresAt: at(1) })
          const theirs = aToken(other)
          yield* Effect.forEach([reset, lapsed, theirs], issue)
          yield* redeem(lapsed, START)
          yield* issue(verification)
          yield* deleteUser(user.id)
          for (const token of [reset, verification, lapsed]) {
            expect(yield* find(token)).toEqual(unknown)
            expect(yield* redeem(token)).toEqual(unknown)
          }
          expect(yield* revokeAll(user.id)).toBe(0)
          expect(yield* revokeAll(user.id, "email_verification")).toBe(0)
          // The deleted account's redeemed and expired token is gone already: nothing to purge.
          expect(yield* purge(at(2))).toBe(0)
          expect(yield* find(theirs)).toEqual(valid(theirs))
          expect(Exit.isFailure(yield* Effect.exit(issue(aToken(user))))).toBe(true)
        }),
      )
    })

    describe("races", () => {
      test(
        `leaves exactly one live token when ${FIBERS} are issued to one account at once, in each of ${ROUNDS} rounds`,
        Effect.gen(function* () {
          const user = yield* aUser
          let earlier = aToken(user)
          yield* issue(earlier)
          for (let round = 0; round < ROUNDS; round++) {
            const tokens = Arr.makeBy(FIBERS, () => aToken(user))
            yield* all(tokens.map(issue), () => round)
            const found = yield* Effect.forEach(tokens, (token) => find(token))
            expect(tagsOf(found)).toEqual([...Arr.replicate("Unknown", FIBERS - 1), "Valid"])
            expect(yield* find(earlier)).toEqual(unknown)
            earlier = tokens.find((_, i) => found[i]?._tag === "Valid") ?? earlier
          }
          // One unredeemed token stored, not one findable among several.
          expect(yield* revokeAll(user.id)).toBe(1)
        }),
      )

      test(
        `redeems a token once when ${FIBERS} present it at once, in each of ${ROUNDS} rounds: one Valid, the rest Used`,
        Effect.gen(function* () {
          const user = yield* aUser
          for (let round = 0; round < ROUNDS; round++) {
            const token = aToken(user)
            yield* issue(token)
            const answers = yield* all(Arr.replicate(redeem(token), FIBERS), () => round)
            expect(answers.filter((r) => r._tag === "Valid")).toEqual([valid(token)])
            expect(tagsOf(answers)).toEqual([...Arr.replicate("Used", FIBERS - 1), "Valid"])
          }
        }),
      )

      test(
        `never lets a replaced token be redeemed: ${PAIRS} accounts each issue a new token while the old one is presented`,
        Effect.gen(function* () {
          const users = yield* Effect.all(Arr.replicate(aUser, PAIRS))
          const olds = users.map((user) => aToken(user))
          yield* Effect.forEach(olds, issue)
          const pairs = Arr.zip(
            olds,
            users.map((user) => aToken(user, { createdAt: at(1) })),
          )
          const redemptions = yield* all(
            pairs.map(([old, next], i) => {
              const [redeeming, issuing] = [redeem(old, at(1)), issue(next)]
              return i % 2 === 0
                ? Effect.map(Effect.all([redeeming, issuing], { concurrency: "unbounded" }), ([r]) => r)
                : Effect.map(Effect.all([issuing, redeeming], { concurrency: "unbounded" }), ([, r]) => r)
            }),
            staggered,
          )
          expect(redemptions.filter((r) => r._tag !== "Valid" && r._tag !== "Unknown")).toEqual([])
          for (const [i, [old, next]] of pairs.entries()) {
            // Redeemed first, it is Used; replaced first, it is Unknown and was never redeemed.
            expect(yield* find(old, at(1))).toEqual(redemptions[i]?._tag === "Valid" ? used : unknown)
            expect(yield* find(next, at(1))).toEqual(valid(next))
          }
        }),
      )

      test(
        `revokes or redeems, never both: ${PAIRS} accounts each revoke their tokens while one is presented`,
        Effect.gen(function* () {
          const users = yield* Effect.all(Arr.replicate(aUser, PAIRS))
          const tokens = users.map((user) => aToken(user))
          yield* Effect.forEach(tokens, issue)
          const answers = yield* all(
            tokens.map((token) => Effect.all([redeem(token), revokeAll(token.userId)], { concurrency: "unbounded" })),
            staggered,
          )
          for (const [i, [redemption, revoked]] of answers.entries()) {
            const token = tokens[i]
            if (token === undefined) continue
            expect([redemption._tag, revoked]).toEqual(redemption._tag === "Valid" ? ["Valid", 0] : ["Unknown", 1])
            expect(yield* find(token)).toEqual(redemption._tag === "Valid" ? used : unknown)
          }
        }),
      )

      test(
        "purges each redeemed token once, and no live one, while redemptions and new tokens race the purges",
        Effect.gen(function* () {
          const tokens = yield* Effect.all(
            Arr.replicate(
              Effect.map(aUser, (user) => aToken(user)),
              PAIRS,
            ),
          )
          const fresh = yield* Effect.all(
            Arr.replicate(
              Effect.map(aUser, (user) => aToken(user)),
              PAIRS,
            ),
          )
          yield* Effect.forEach(tokens, issue)
          const none: ReadonlyArray<number> = []
          // Writes spread over the time the purges take, purges started some steps apart: some purge
          // yields between its read and its write while a write lands, whatever a purge costs.
          const writes = Arr.zip(tokens, fresh)
            .flatMap(([token, next]) => [redeem(token, at(1)), issue(next)])
            .map((write, i) => Effect.as(Effect.andThen(steps(i * 8), write), none))
          const purges = Arr.makeBy(16, (i) =>
            Effect.andThen(
              steps(i * 17),
              Effect.map(purge(at(2)), (n) => [n]),
            ),
          )
          const counts = yield* all([...Arr.zip(purges, writes).flat(), ...writes.slice(purges.length)], staggered)
          const purged = counts.flat().reduce((a, b) => a + b, 0)
          const left = yield* Effect.forEach(tokens, (token) => find(token, at(2)))
          // Arr.replicate makes at least one: not for a count that may be 0.
          expect(tagsOf(left)).toEqual([...Array(purged).fill("Unknown"), ...Array(PAIRS - purged).fill("Used")])
          expect(yield* Effect.forEach(fresh, (token) => find(token, at(2)))).toEqual(fresh.map(valid))
          expect(yield* purge(at(2))).toBe(PAIRS - purged)
        }),
      )
    })
  })
