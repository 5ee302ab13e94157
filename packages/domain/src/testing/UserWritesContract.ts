import { describe, expect } from "@effect/vitest"
import { Effect, Either, Option } from "effect"
import { PasswordHash } from "../auth/Password.js"
import { EmailAlreadyRegistered, LastActiveSuperuser, UserNotFound, UsernameTaken } from "../users/errors.js"
import { Email, User, Username } from "../users/User.js"
import { type StoredUser, UserRepository } from "../users/UserRepository.js"
import { aStoredUser } from "./fixtures.js"
import { aQuery, type ContractTest, everyone } from "./support.js"

const changed = (stored: StoredUser, changes: Partial<ConstructorParameters<typeof User>[0]>) =>
  new User({ ...stored.user, ...changes })

const activeSuperusers = Effect.flatMap(UserRepository, (repo) =>
  repo.search(aQuery({ isActive: Option.some(true), isSuperuser: Option.some(true) })),
).pipe(Effect.map((r) => r.items.map((u) => u.id)))

export const userWritesContract = (test: ContractTest) =>
  describe("writes", () => {
    test(
      "updates the profile and flags, keeps the password hash, and knows no stranger",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser()
        yield* repo.insert(stored)
        const next = changed(stored, {
          full_name: "New Name",
          bio: "Hello",
          is_active: false,
          email: Email.make("New@Example.com"),
        })
        yield* repo.update(next)
        expect(yield* repo.findById(stored.user.id)).toEqual(
          Option.some({ user: next, passwordHash: stored.passwordHash }),
        )
        expect(Option.isSome(yield* repo.findByLogin("new@example.com"))).toBe(true)
        const stranger = aStoredUser()
        expect(yield* Effect.either(repo.update(stranger.user))).toEqual(Either.left(new UserNotFound()))
        expect(yield* everyone).toEqual([stored.user.id])
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
        const takeEmail = changed(bob, { email: Email.make("ADA@example.com"), full_name: "Changed" })
        expect(yield* Effect.either(repo.update(takeEmail))).toEqual(Either.left(new EmailAlreadyRegistered()))
        const takeName = changed(bob, { username: Username.make("Ada") })
        expect(yield* Effect.either(repo.update(takeName))).toEqual(Either.left(new UsernameTaken()))
        expect(yield* repo.findById(bob.user.id)).toEqual(Option.some(bob))
        // Its own email in another case is still its own.
        yield* repo.update(changed(bob, { email: Email.make("BOB@example.com") }))
      }),
    )

    test(
      "sets a new password hash, and deletes for good",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser({ email: "gone@example.com" })
        yield* repo.insert(stored)
        yield* repo.setPasswordHash(stored.user.id, PasswordHash.make("new-hash"))
        expect(Option.map(yield* repo.findById(stored.user.id), (s) => s.passwordHash)).toEqual(Option.some("new-hash"))
        yield* repo.delete(stored.user.id)
        expect(Option.isNone(yield* repo.findById(stored.user.id))).toBe(true)
        expect(yield* Effect.either(repo.delete(stored.user.id))).toEqual(Either.left(new UserNotFound()))
        const stranger = aStoredUser().user.id
        expect(yield* Effect.either(repo.setPasswordHash(stranger, PasswordHash.make("x")))).toEqual(
          Either.left(new UserNotFound()),
        )
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
        expect(yield* Effect.either(repo.update(changed(root, { is_superuser: false })))).toEqual(refused)
        expect(yield* Effect.either(repo.update(changed(root, { is_active: false })))).toEqual(refused)
        expect(yield* Effect.either(repo.delete(root.user.id))).toEqual(refused)
        expect(yield* repo.findById(root.user.id)).toEqual(Option.some(root))
        // What leaves an active superuser in place is allowed.
        yield* repo.update(changed(root, { full_name: "Root" }))
        yield* repo.update(changed(plain, { is_active: false }))
        yield* repo.delete(retired.user.id)
        yield* repo.update(changed(plain, { is_active: true, is_superuser: true }))
        yield* repo.update(changed(root, { is_superuser: false }))
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
            : repo.update(changed(stored, how === "demote" ? { is_superuser: false } : { is_active: false }))
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
  })
