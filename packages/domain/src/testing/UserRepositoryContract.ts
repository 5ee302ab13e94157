import { describe, expect } from "@effect/vitest"
import { Effect, Either, type Layer, Option } from "effect"
import { EmailAlreadyRegistered, UsernameTaken } from "../users/errors.js"
import { normalizeLogin } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import { emailVerificationContract } from "./EmailVerificationContract.js"
import { aStoredUser } from "./fixtures.js"
import { aQuery, everyone, freshTest, idsOf } from "./support.js"
import { userSearchContract } from "./UserSearchContract.js"
import { userWritesContract } from "./UserWritesContract.js"

/**
 * The specification of a UserRepository. `layer` is built afresh for every test, so each test
 * starts from an empty store.
 */
export const userRepositoryContract = (name: string, layer: Layer.Layer<UserRepository, unknown>) =>
  describe(`UserRepository contract: ${name}`, () => {
    const test = freshTest(layer)

    test(
      "finds an inserted user by id with every field as stored",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser({ full_name: "Zoë Ångström" })
        yield* repo.insert(stored)
        const found = yield* repo.findById(stored.user.id)
        expect(Option.getOrThrow(found)).toEqual(stored)
      }),
    )

    test(
      "finds nothing for an unknown id",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        yield* repo.insert(aStoredUser())
        const found = yield* repo.findById(aStoredUser().user.id)
        expect(Option.isNone(found)).toBe(true)
      }),
    )

    test(
      "finds a user by email or by username in any case",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const stored = aStoredUser({ email: "Ada.Lovelace@Example.COM", username: "Ada_L" })
        yield* repo.insert(stored)
        yield* repo.insert(aStoredUser())
        for (const login of ["ada.lovelace@example.com", "ADA.LOVELACE@EXAMPLE.COM", "ada_l", "ADA_L", "Ada_L"]) {
          const found = yield* repo.findByLogin(normalizeLogin(login))
          expect(Option.map(found, (s) => s.user.id)).toEqual(Option.some(stored.user.id))
        }
        expect(Option.isNone(yield* repo.findByLogin("ada"))).toBe(true)
        expect(Option.isNone(yield* repo.findByLogin("ada.lovelace@example.org"))).toBe(true)
      }),
    )

    test(
      "refuses a second account with the same email in another case, and stores nothing of it",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const first = aStoredUser({ email: "grace@example.com" })
        yield* repo.insert(first)
        const second = aStoredUser({ email: "GRACE@example.com" })
        const result = yield* Effect.either(repo.insert(second))
        expect(result).toEqual(Either.left(new EmailAlreadyRegistered()))
        expect(Option.isNone(yield* repo.findById(second.user.id))).toBe(true)
        expect(Option.isNone(yield* repo.findByLogin(normalizeLogin(second.user.username)))).toBe(true)
        expect(yield* everyone).toHaveLength(1)
      }),
    )

    test(
      "refuses a second account with the same username in another case",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        yield* repo.insert(aStoredUser({ username: "hopper" }))
        const second = aStoredUser({ username: "HOPPER" })
        const result = yield* Effect.either(repo.insert(second))
        expect(result).toEqual(Either.left(new UsernameTaken()))
        expect(Option.isNone(yield* repo.findById(second.user.id))).toBe(true)
      }),
    )

    test(
      "refuses a second account with an id already used",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const first = aStoredUser()
        yield* repo.insert(first)
        const exit = yield* Effect.exit(repo.insert(aStoredUser({ id: first.user.id })))
        expect(exit._tag).toBe("Failure")
        expect(yield* everyone).toHaveLength(1)
      }),
    )

    test(
      "lets exactly one of 20 concurrent registrations of one email succeed",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const attempts = Array.from({ length: 20 }, (_, i) =>
          aStoredUser({ email: i % 2 === 0 ? "race@example.com" : "Race@Example.COM" }),
        )
        const results = yield* Effect.all(
          attempts.map((stored) => Effect.either(repo.insert(stored))),
          { concurrency: "unbounded" },
        )
        expect(results.filter(Either.isRight)).toHaveLength(1)
        expect(results.filter(Either.isLeft).map((r) => r.left)).toEqual(
          Array.from({ length: 19 }, () => new EmailAlreadyRegistered()),
        )
        expect(yield* everyone).toHaveLength(1)
      }),
    )

    test(
      "lists users by creation time, ties broken by id, a page at a time",
      Effect.gen(function* () {
        const repo = yield* UserRepository
        const at = (iso: string) => new Date(iso)
        const users = [
          aStoredUser({ created_at: at("2026-03-01T00:00:00Z") }),
          aStoredUser({ id: "0190a000-0000-7000-8000-000000000003", created_at: at("2026-02-01T00:00:00Z") }),
          aStoredUser({ id: "0190a000-0000-7000-8000-000000000001", created_at: at("2026-02-01T00:00:00Z") }),
          aStoredUser({ created_at: at("2026-01-01T00:00:00Z") }),
          aStoredUser({ id: "0190a000-0000-7000-8000-000000000002", created_at: at("2026-02-01T00:00:00Z") }),
        ]
        for (const stored of users) yield* repo.insert(stored)
        const expected = [users[3], users[2], users[4], users[1], users[0]].map((s) => s?.user.id)
        expect(yield* everyone).toEqual(expected)
        expect(yield* idsOf(aQuery({ offset: 2, limit: 2 }))).toEqual(expected.slice(2, 4))
        expect(yield* idsOf(aQuery({ offset: 5, limit: 2 }))).toEqual([])
      }),
    )

    userSearchContract(test)
    userWritesContract(test)
    emailVerificationContract(test)
  })
