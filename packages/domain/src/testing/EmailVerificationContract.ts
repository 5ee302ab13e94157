import { describe, expect } from "@effect/vitest"
import { DateTime, Effect, Either, Option } from "effect"
import { EmailAlreadyRegistered } from "../users/errors.js"
import { Email, User, type UserId } from "../users/User.js"
import { UserRepository, type UserUpdate } from "../users/UserRepository.js"
import { aStoredUser } from "./fixtures.js"
import type { ContractTest } from "./support.js"

const at = (iso: string) => DateTime.unsafeMake(new Date(iso))
const verifiedAt = new Date("2026-02-03T04:05:06.789Z")
const stamp = at("2026-03-04T05:06:07.089Z")
const later = at("2026-03-05T00:00:00.000Z")
/** A change of exactly these fields, stamped `stamp`. */
const changes = (fields: Omit<UserUpdate, "updatedAt">): UserUpdate => ({ ...fields, updatedAt: stamp })

const FIBERS = 50
/** How many times each racing fiber moves the account, or verifies its address. */
const TURNS = 3

/**
 * The effects all at once, each fiber yielding every 16 steps (Effect's default is 2048), so a
 * store that reads the address, then writes, in two steps is caught between them (see
 * SessionRacesContract for why 16).
 */
const race = <A, E, R>(effects: ReadonlyArray<Effect.Effect<A, E, R>>) =>
  Effect.all(effects, { concurrency: "unbounded" }).pipe(Effect.withMaxOpsBeforeYield(16))

/**
 * `effect` after 0 to 16 idle steps of its fiber (one `suspend` is one step of its run loop), by
 * fiber and round: fibers started together reach their operations at different steps, so their
 * yields fall at every point of an operation.
 */
const staggered = <A, E, R>(fiber: number, round: number, effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> => {
  const after = (steps: number): Effect.Effect<A, E, R> =>
    steps === 0 ? effect : Effect.suspend(() => after(steps - 1))
  return after((fiber * 7 + round * 5) % 17)
}

const userOf = (id: UserId) =>
  Effect.flatMap(UserRepository, (repo) => repo.findById(id)).pipe(
    Effect.map(Option.getOrThrow),
    Effect.map((s) => s.user),
  )
/** Whether and since when the stored user's email is verified. */
const verificationOf = (user: User) => ({ verified: user.email_verified, at: user.email_verified_at })
const verified = (time: DateTime.Utc | Date) => ({
  verified: true,
  at: time instanceof Date ? DateTime.unsafeMake(time) : time,
})
const unverified = { verified: false, at: null }

/** A user, its email verified at `verifiedAt` or not, inserted; answers it. */
const inserted = (overrides: Parameters<typeof aStoredUser>[0] = {}) =>
  Effect.flatMap(UserRepository, (repo) => {
    const stored = aStoredUser(overrides)
    return Effect.as(repo.insert(stored), stored)
  })

/**
 * A verification link is only as good as the address it was mailed to: an account's email is
 * verified while it holds the address that was proven, never one it moved to.
 */
export const emailVerificationContract = (test: ContractTest) =>
  describe("email verification", () => {
    test(
      "stores a user inserted verified or unverified as given",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const yes = yield* inserted({ email_verified_at: verifiedAt })
        const no = yield* inserted()
        expect(yield* repo.findById(yes.user.id)).toEqual(Option.some(yes))
        expect(verificationOf(yield* userOf(yes.user.id))).toEqual(verified(verifiedAt))
        expect(yield* repo.findById(no.user.id)).toEqual(Option.some(no))
        expect(verificationOf(yield* userOf(no.user.id))).toEqual(unverified)
      }),
    )

    test(
      "marks the account's current address verified, named in any case, and keeps the first time",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = yield* inserted({ email: "Ada@Example.com" })
        const other = yield* inserted()
        expect(yield* repo.markEmailVerified(stored.user.id, Email.make("ada@EXAMPLE.COM"), stamp)).toBe(true)
        // Only the verification changes: not the address as written, not `updated_at`.
        const after = new User({ ...stored.user, email_verified: true, email_verified_at: stamp })
        expect(yield* repo.findById(stored.user.id)).toEqual(Option.some({ ...stored, user: after }))
        expect(yield* repo.markEmailVerified(stored.user.id, Email.make("Ada@Example.com"), later)).toBe(true)
        expect(verificationOf(yield* userOf(stored.user.id))).toEqual(verified(stamp))
        expect(yield* repo.findById(other.user.id)).toEqual(Option.some(other))
      }),
    )

    test(
      "verifies nothing for an address the account does not hold, or for an unknown account",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const plain = yield* inserted({ email: "plain@example.com" })
        const proven = yield* inserted({ email: "proven@example.com", email_verified_at: verifiedAt })
        // Another account's address is not this one's.
        expect(yield* repo.markEmailVerified(plain.user.id, Email.make("proven@example.com"), stamp)).toBe(false)
        expect(yield* repo.markEmailVerified(proven.user.id, Email.make("plain@example.com"), stamp)).toBe(false)
        expect(yield* repo.markEmailVerified(aStoredUser().user.id, Email.make("plain@example.com"), stamp)).toBe(false)
        expect(yield* repo.findById(plain.user.id)).toEqual(Option.some(plain))
        expect(yield* repo.findById(proven.user.id)).toEqual(Option.some(proven))
      }),
    )

    test(
      "a change to another address leaves it unverified; the same address in another case stays verified",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = yield* inserted({ email: "grace@example.com", email_verified_at: verifiedAt })
        const id = stored.user.id
        // A change not naming the email, or naming the same address, keeps the verification.
        expect(verificationOf(yield* repo.updateProfile(id, changes({ bio: "Hi" })))).toEqual(verified(verifiedAt))
        expect(verificationOf(yield* repo.update(id, changes({ full_name: "Grace" })))).toEqual(verified(verifiedAt))
        const caseOnly = changes({ email: Email.make("Grace@Example.COM") })
        expect(verificationOf(yield* repo.updateProfile(id, caseOnly))).toEqual(verified(verifiedAt))
        expect(verificationOf(yield* repo.update(id, changes({ email: Email.make("GRACE@example.com") })))).toEqual(
          verified(verifiedAt),
        )
        // The owner's change of address.
        const moved = yield* repo.updateProfile(id, changes({ email: Email.make("hopper@example.com") }))
        expect([moved.email, verificationOf(moved)]).toEqual(["hopper@example.com", unverified])
        expect(verificationOf(yield* userOf(id))).toEqual(unverified)
        // An administrator's.
        expect(yield* repo.markEmailVerified(id, Email.make("hopper@example.com"), stamp)).toBe(true)
        const movedByAdmin = yield* repo.update(id, changes({ email: Email.make("grace@example.org"), bio: null }))
        expect([movedByAdmin.email, verificationOf(movedByAdmin)]).toEqual(["grace@example.org", unverified])
        expect(verificationOf(yield* userOf(id))).toEqual(unverified)
        // The address left behind no longer verifies anything.
        expect(yield* repo.markEmailVerified(id, Email.make("hopper@example.com"), later)).toBe(false)
        expect(verificationOf(yield* userOf(id))).toEqual(unverified)
      }),
    )

    test(
      "a change of address that demotes a superuser (a guarded write) leaves it unverified too",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        yield* inserted({ is_superuser: true })
        const root = yield* inserted({ is_superuser: true, email_verified_at: verifiedAt })
        const demoted = yield* repo.update(
          root.user.id,
          changes({ is_superuser: false, email: Email.make("former-root@example.com") }),
        )
        expect([demoted.is_superuser, verificationOf(demoted)]).toEqual([false, unverified])
        expect(verificationOf(yield* userOf(root.user.id))).toEqual(unverified)
      }),
    )

    test(
      "an administrator sets or clears the verification, with or without a change of address",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const set = (id: UserId, fields: Omit<UserUpdate, "updatedAt">) =>
          Effect.map(repo.update(id, changes(fields)), verificationOf)
        const plain = (yield* inserted({ email: "plain@example.com" })).user.id
        expect(yield* set(plain, { email_verified: true })).toEqual(verified(stamp))
        expect(verificationOf(yield* userOf(plain))).toEqual(verified(stamp))
        expect(yield* set(plain, { email_verified: false })).toEqual(unverified)
        // Verified with a new address: the new one, from this change.
        expect(yield* set(plain, { email_verified: true, email: Email.make("new@example.com") })).toEqual(
          verified(stamp),
        )

        // A verified address that stays (in any case) keeps its time.
        const proven = (yield* inserted({ email: "proven@example.com", email_verified_at: verifiedAt })).user.id
        expect(yield* set(proven, { email_verified: true })).toEqual(verified(verifiedAt))
        expect(yield* set(proven, { email_verified: true, email: Email.make("PROVEN@example.com") })).toEqual(
          verified(verifiedAt),
        )
        // A new address vouched for by the administrator is verified from this change.
        expect(yield* set(proven, { email_verified: true, email: Email.make("moved@example.com") })).toEqual(
          verified(stamp),
        )
        expect(yield* set(proven, { email_verified: false, email: Email.make("MOVED@example.com") })).toEqual(
          unverified,
        )
        expect(verificationOf(yield* userOf(proven))).toEqual(unverified)
        expect((yield* userOf(proven)).email).toBe("MOVED@example.com")

        // A refused change changes no verification either.
        const before = yield* userOf(proven)
        yield* repo.markEmailVerified(proven, Email.make("moved@example.com"), later)
        const taken = changes({ email: Email.make("new@example.com"), email_verified: false })
        expect(yield* Effect.either(repo.update(proven, taken))).toEqual(Either.left(new EmailAlreadyRegistered()))
        expect(yield* userOf(proven)).toEqual(new User({ ...before, email_verified: true, email_verified_at: later }))
      }),
    )

    test(
      `a change of case racing changes of address never brings the old verification back, with ${FIBERS} fibers`,
      Effect.gen(function* () {
        const repo = yield* UserRepository
        for (let round = 0; round < 2; round++) {
          const a = `a${round}@example.com`
          const b = Email.make(`b${round}@example.com`)
          const { user } = yield* inserted({ email: a, email_verified_at: verifiedAt })
          // One fiber, in the middle, moves the account to b (which clears the verification); the
          // others write a in another case (the same address: keeps it). Nothing verifies, so after
          // the move every state is unverified, even a write whose check came before the move.
          const answers = yield* race(
            Array.from({ length: FIBERS }, (_, i) =>
              i === FIBERS / 2
                ? repo.updateProfile(user.id, changes({ email: b }))
                : staggered(
                    i,
                    round,
                    repo.updateProfile(user.id, changes({ email: Email.make(i % 2 ? a.toUpperCase() : a) })),
                  ),
            ),
          )
          const final = yield* userOf(user.id)
          expect(verificationOf(final), `round ${round}`).toEqual(unverified)
          expect(answers.filter((u) => u.email === b && u.email_verified)).toEqual([])
        }
      }),
    )

    test(
      `never verifies an address the account moved to, when ${FIBERS} fibers move it back and forth and verify one address`,
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const markedAt = DateTime.unsafeMake(new Date("2026-04-01T00:00:00.000Z"))
        for (let round = 0; round < 2; round++) {
          const a = Email.make(`a${round}@example.com`)
          const b = Email.make(`b${round}@example.com`)
          const { user } = yield* inserted({ email: a })
          // Fibers in turn move the account and verify a: one moving to b, one verifying, one moving
          // to a, one verifying, ... so the address changes between any two verifications. A
          // verification landing on b is undone by the next move to a, so each fiber answers the
          // account as it saw it right after each write: a move as it left it, a verification by
          // reading it at once.
          const moving = (mover: number) =>
            Effect.forEach(Array.from({ length: TURNS }), (_, turn) =>
              repo.updateProfile(user.id, changes({ email: (mover + turn) % 2 === 0 ? b : a })),
            )
          const verifying = Effect.forEach(Array.from({ length: TURNS }), () =>
            Effect.zipRight(repo.markEmailVerified(user.id, a, markedAt), userOf(user.id)),
          )
          const seen = yield* race(
            Array.from({ length: FIBERS }, (_, i) => staggered(i, round, i % 2 === 0 ? moving(i / 2) : verifying)),
          ).pipe(Effect.map((answers) => answers.flat()))
          const final = yield* userOf(user.id)
          // Only a is ever verified: the account holding b is never verified, at any moment seen nor
          // at the end; a verified a was verified by a verification, not by a move.
          const bVerified = [...seen, final].filter((u) => u.email === b && u.email_verified)
          expect(bVerified.map(verificationOf), `round ${round}`).toEqual([])
          for (const u of [...seen, final].filter((u) => u.email_verified))
            expect(u.email_verified_at).toEqual(markedAt)
        }
      }),
    )
  })
