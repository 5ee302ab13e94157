import { describe, expect } from "@effect/vitest"
import { DateTime, Effect, Either, Option } from "effect"
import { PasswordHash } from "../auth/Password.js"
import { EmailAlreadyRegistered, LastActiveSuperuser, UserNotFound, UsernameTaken } from "../users/errors.js"
import { Email, User, Username } from "../users/User.js"
import { type StoredUser, UserRepository, type UserUpdate } from "../users/UserRepository.js"
import { aStoredUser } from "./fixtures.js"
import { aQuery, type ContractTest, everyone } from "./support.js"

const stamp = DateTime.unsafeMake(new Date("2026-03-04T05:06:07.089Z"))
/** A change of exactly these fields. */
const changes = (fields: Omit<UserUpdate, "updatedAt">): UserUpdate => ({ ...fields, updatedAt: stamp })
/** The user as a change of these fields should leave it. */
const changed = (stored: StoredUser, fields: Omit<UserUpdate, "updatedAt">) =>
  new User({ ...stored.user, ...fields, updated_at: stamp })

const activeSuperusers = Effect.flatMap(UserRepository, (repo) =>
  repo.search(aQuery({ isActive: Option.some(true), isSuperuser: Option.some(true) })),
).pipe(Effect.map((r) => r.items.map((u) => u.id)))

const userOf = (stored: StoredUser) =>
  Effect.flatMap(UserRepository, (repo) => repo.findById(stored.user.id)).pipe(
    Effect.map(Option.getOrThrow),
    Effect.map((s) => s.user),
  )

export const userWritesContract = (test: ContractTest) =>
  describe("writes", () => {
    test(
      "changes only the fields named, answers the user as stored, keeps the password hash, and knows no stranger",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser({ is_superuser: true })
        yield* repo.insert(aStoredUser({ is_superuser: true }))
        yield* repo.insert(stored)
        const fields = { full_name: "New Name", bio: "Hello", email: Email.make("New@Example.com") }
        expect(yield* repo.update(stored.user.id, changes(fields))).toEqual(changed(stored, fields))
        expect(yield* repo.findById(stored.user.id)).toEqual(
          Option.some({ user: changed(stored, fields), passwordHash: stored.passwordHash }),
        )
        expect(Option.isSome(yield* repo.findByLogin("new@example.com"))).toBe(true)
        // A change naming only a flag leaves the profile as it is now, and the other way round.
        const demoted = yield* repo.update(stored.user.id, changes({ is_superuser: false }))
        expect(demoted).toEqual(changed(stored, { ...fields, is_superuser: false }))
        const renamed = yield* repo.update(stored.user.id, changes({ full_name: null }))
        expect(renamed).toEqual(changed(stored, { ...fields, is_superuser: false, full_name: null }))
        const stranger = aStoredUser()
        expect(yield* Effect.either(repo.update(stranger.user.id, changes({ bio: "x" })))).toEqual(
          Either.left(new UserNotFound()),
        )
        expect(yield* Effect.either(repo.update(stranger.user.id, changes({ is_active: false })))).toEqual(
          Either.left(new UserNotFound()),
        )
      }),
    )

    test(
      "writes a profile or a standing alone, each answering the user as stored, and knows no stranger",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser()
        yield* repo.insert(stored)
        const profile = { full_name: null, username: Username.make("Renamed") }
        expect(yield* repo.updateProfile(stored.user.id, changes(profile))).toEqual(changed(stored, profile))
        expect(yield* repo.setStanding(stored.user.id, changes({ is_active: false }))).toEqual(
          changed(stored, { ...profile, is_active: false }),
        )
        expect(yield* repo.setStanding(stored.user.id, changes({ is_superuser: true }))).toEqual(
          changed(stored, { ...profile, is_active: false, is_superuser: true }),
        )
        const stranger = aStoredUser().user.id
        expect(yield* Effect.either(repo.updateProfile(stranger, changes({ bio: "x" })))).toEqual(
          Either.left(new UserNotFound()),
        )
        expect(yield* Effect.either(repo.setStanding(stranger, changes({ is_active: true })))).toEqual(
          Either.left(new UserNotFound()),
        )
      }),
    )

    test(
      "refuses to take another account's email or username in another case, and changes nothing",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const ada = aStoredUser({ email: "ada@example.com", username: "ada" })
        const bob = aStoredUser({ email: "bob@example.com", username: "bob" })
        yield* repo.insert(ada)
        yield* repo.insert(bob)
        const takeEmail = changes({ email: Email.make("ADA@example.com"), full_name: "Changed" })
        expect(yield* Effect.either(repo.update(bob.user.id, takeEmail))).toEqual(
          Either.left(new EmailAlreadyRegistered()),
        )
        const takeName = changes({ username: Username.make("Ada") })
        expect(yield* Effect.either(repo.update(bob.user.id, takeName))).toEqual(Either.left(new UsernameTaken()))
        expect(yield* repo.findById(bob.user.id)).toEqual(Option.some(bob))
        // Its own email in another case is still its own.
        yield* repo.update(bob.user.id, changes({ email: Email.make("BOB@example.com") }))
      }),
    )

    test(
      "sets a new password hash, replaces one only while it is still the expected one, and deletes for good",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser({ email: "gone@example.com" })
        yield* repo.insert(stored)
        const hashOf = Effect.map(
          repo.findById(stored.user.id),
          Option.map((s) => s.passwordHash),
        )
        yield* repo.setPasswordHash(stored.user.id, PasswordHash.make("new-hash"))
        expect(yield* hashOf).toEqual(Option.some("new-hash"))
        expect(yield* repo.replacePasswordHash(stored.user.id, stored.passwordHash, PasswordHash.make("stale"))).toBe(
          false,
        )
        expect(yield* hashOf).toEqual(Option.some("new-hash"))
        expect(
          yield* repo.replacePasswordHash(stored.user.id, PasswordHash.make("new-hash"), PasswordHash.make("rehashed")),
        ).toBe(true)
        expect(yield* hashOf).toEqual(Option.some("rehashed"))
        yield* repo.delete(stored.user.id)
        expect(Option.isNone(yield* repo.findById(stored.user.id))).toBe(true)
        expect(yield* Effect.either(repo.delete(stored.user.id))).toEqual(Either.left(new UserNotFound()))
        const stranger = aStoredUser().user.id
        expect(yield* Effect.either(repo.setPasswordHash(stranger, PasswordHash.make("x")))).toEqual(
          Either.left(new UserNotFound()),
        )
        expect(yield* repo.replacePasswordHash(stranger, PasswordHash.make("x"), PasswordHash.make("y"))).toBe(false)
        // The email is free again.
        yield* repo.insert(aStoredUser({ email: "GONE@example.com" }))
      }),
    )

    test(
      "never demotes, deactivates or deletes the last active superuser",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const root = aStoredUser({ is_superuser: true })
        const retired = aStoredUser({ is_superuser: true, is_active: false })
        const plain = aStoredUser()
        for (const stored of [root, retired, plain]) yield* repo.insert(stored)
        const refused = Either.left(new LastActiveSuperuser())
        expect(yield* Effect.either(repo.update(root.user.id, changes({ is_superuser: false })))).toEqual(refused)
        expect(yield* Effect.either(repo.update(root.user.id, changes({ is_active: false, bio: "x" })))).toEqual(
          refused,
        )
        expect(yield* Effect.either(repo.delete(root.user.id))).toEqual(refused)
        expect(yield* repo.findById(root.user.id)).toEqual(Option.some(root))
        // What leaves an active superuser in place is allowed.
        yield* repo.update(root.user.id, changes({ full_name: "Root", is_superuser: true, is_active: true }))
        yield* repo.update(plain.user.id, changes({ is_active: false }))
        yield* repo.delete(retired.user.id)
        yield* repo.update(plain.user.id, changes({ is_active: true, is_superuser: true }))
        yield* repo.update(root.user.id, changes({ is_superuser: false }))
        expect(yield* activeSuperusers).toEqual([plain.user.id])
      }),
    )

    test(
      "keeps one active superuser when the last two are demoted, deactivated or deleted at once",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const ways = ["demote", "deactivate", "delete"] as const
        const remove = (stored: StoredUser, how: (typeof ways)[number]) =>
          how === "delete"
            ? repo.delete(stored.user.id)
            : Effect.asVoid(
                repo.setStanding(
                  stored.user.id,
                  changes(how === "demote" ? { is_superuser: false } : { is_active: false }),
                ),
              )
        let incumbent = aStoredUser({ is_superuser: true })
        yield* repo.insert(incumbent)
        // Each round: exactly two active superusers, both removed at once; one must stay.
        for (let round = 0; round < 9; round++) {
          const newcomer = aStoredUser({ is_superuser: true })
          yield* repo.insert(newcomer)
          const results = yield* Effect.all(
            [
              Effect.either(remove(incumbent, ways[round % 3] ?? "delete")),
              Effect.either(remove(newcomer, ways[Math.floor(round / 3)] ?? "delete")),
            ],
            { concurrency: "unbounded" },
          )
          expect(results.filter(Either.isRight), `round ${round}`).toHaveLength(1)
          expect(results.filter(Either.isLeft).map((r) => r.left)).toEqual([new LastActiveSuperuser()])
          const survivors = yield* activeSuperusers
          expect(survivors, `round ${round}`).toHaveLength(1)
          incumbent = Option.getOrThrow(yield* repo.findById(survivors[0] ?? newcomer.user.id))
        }
      }),
    )

    test(
      "many concurrent profile edits never undo a demotion or deactivation that lands among them",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        yield* repo.insert(aStoredUser({ is_superuser: true }))
        const decisions = [{ is_superuser: false }, { is_active: false }, { is_superuser: false, is_active: false }]
        for (const [round, decision] of decisions.entries()) {
          const target = aStoredUser({ is_superuser: true })
          yield* repo.insert(target)
          const edits = Array.from({ length: 20 }, (_, i) =>
            repo.updateProfile(target.user.id, changes({ bio: `edit ${i}`, full_name: `Name ${i}` })),
          )
          // The decision lands in the middle of the edits.
          const all = [...edits.slice(0, 10), repo.setStanding(target.user.id, changes(decision)), ...edits.slice(10)]
          yield* Effect.all(all, { concurrency: "unbounded" })
          const after = yield* userOf(target)
          expect({ is_active: after.is_active, is_superuser: after.is_superuser }, `round ${round}`).toEqual({
            is_active: true,
            is_superuser: true,
            ...decision,
          })
          expect(after.bio, `round ${round}`).toMatch(/^edit \d+$/)
        }
      }),
    )

    test(
      "two writers of different fields at once both land",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const target = aStoredUser()
        yield* repo.insert(target)
        for (let round = 0; round < 10; round++) {
          yield* Effect.all(
            [
              repo.updateProfile(target.user.id, changes({ bio: `bio ${round}` })),
              repo.update(target.user.id, changes({ full_name: `Name ${round}` })),
              repo.update(target.user.id, changes({ avatar_url: `https://example.com/${round}.png` })),
            ],
            { concurrency: "unbounded" },
          )
          const after = yield* userOf(target)
          expect([after.bio, after.full_name, after.avatar_url]).toEqual([
            `bio ${round}`,
            `Name ${round}`,
            `https://example.com/${round}.png`,
          ])
        }
      }),
    )

    test(
      "of many concurrent replacements of one expected hash, exactly one lands; none undoes a new password",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const target = aStoredUser()
        yield* repo.insert(target)
        const replaced = yield* Effect.all(
          Array.from({ length: 20 }, (_, i) =>
            repo.replacePasswordHash(target.user.id, target.passwordHash, PasswordHash.make(`rehash-${i}`)),
          ),
          { concurrency: "unbounded" },
        )
        expect(replaced.filter((r) => r)).toHaveLength(1)
        const winner = PasswordHash.make(`rehash-${replaced.indexOf(true)}`)
        expect(Option.map(yield* repo.findById(target.user.id), (s) => s.passwordHash)).toEqual(Option.some(winner))
        // A password change racing rehashes of the old hash always stands.
        for (let round = 0; round < 5; round++) {
          const current = Option.getOrThrow(yield* repo.findById(target.user.id)).passwordHash
          const chosen = PasswordHash.make(`chosen-${round}`)
          yield* Effect.all(
            [
              ...Array.from({ length: 5 }, () =>
                repo.replacePasswordHash(target.user.id, current, PasswordHash.make("stale")),
              ),
              repo.setPasswordHash(target.user.id, chosen),
              ...Array.from({ length: 5 }, () =>
                repo.replacePasswordHash(target.user.id, current, PasswordHash.make("stale")),
              ),
            ],
            { concurrency: "unbounded" },
          )
          const final = Option.getOrThrow(yield* repo.findById(target.user.id)).passwordHash
          // Either the change landed last, or a rehash landed first and the change after it.
          expect(final, `round ${round}`).toBe(chosen)
        }
        expect(yield* everyone).toEqual([target.user.id])
      }),
    )
  })
