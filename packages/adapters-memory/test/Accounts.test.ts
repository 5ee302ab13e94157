import { describe, expect, it } from "@effect/vitest"
import {
  AccessTokens,
  Accounts,
  Credentials,
  EmailAlreadyRegistered,
  InactiveUser,
  InvalidCredentials,
  InvalidToken,
  PasswordHasher,
  Registration,
  UsernameTaken,
  UserRepository,
} from "@userkit/domain"
import { aStoredUser } from "@userkit/domain/testing"
import { DateTime, Effect, Either, Layer, Redacted, Ref, Schema, TestClock } from "effect"
import { FastPasswordHasher, MemoryAccessTokens, MemoryUserRepository } from "../src/index.js"

// The domain on memory adapters, with the hasher's verifications counted.
const verifications = Effect.runSync(Ref.make(0))
const CountingHasher = Layer.effect(
  PasswordHasher,
  Effect.map(PasswordHasher, (hasher) =>
    PasswordHasher.of({
      hash: hasher.hash,
      verify: (password, hash) =>
        Effect.zipRight(
          Ref.update(verifications, (n) => n + 1),
          hasher.verify(password, hash),
        ),
    }),
  ),
)
const TestDomain = Accounts.Default.pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      MemoryUserRepository.layer,
      MemoryAccessTokens.layer(),
      CountingHasher.pipe(Layer.provide(FastPasswordHasher.layer)),
    ),
  ),
)

const registration = (fields: Record<string, unknown> = {}) =>
  Schema.decodeUnknownSync(Registration)({
    email: "ada@example.com",
    username: "ada",
    password: "correct horse battery",
    ...fields,
  })
const credentials = (username: string, password: string) =>
  Schema.decodeUnknownSync(Credentials)({ username, password })

describe("Accounts", () => {
  it.effect("register - opens an active, unprivileged account stamped with the clock's time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-05-04T03:02:01.000Z"))
      const user = yield* (yield* Accounts).register(registration({ full_name: "Ada Lovelace" }))
      expect(user).toMatchObject({ email: "ada@example.com", username: "ada", full_name: "Ada Lovelace", bio: null })
      expect(user).toMatchObject({ is_active: true, is_superuser: false })
      expect(DateTime.formatIso(user.created_at)).toBe("2026-05-04T03:02:01.000Z")
      expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("register - refuses a second account with the same email or username in another case", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      yield* accounts.register(registration())
      const sameEmail = yield* Effect.either(
        accounts.register(registration({ email: " ADA@example.COM ", username: "x_y" })),
      )
      expect(sameEmail).toEqual(Either.left(new EmailAlreadyRegistered()))
      const sameName = yield* Effect.either(
        accounts.register(registration({ email: "b@example.com", username: "ADA" })),
      )
      expect(sameName).toEqual(Either.left(new UsernameTaken()))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("login - by email or username in any case, with a token that speaks for the user", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      const user = yield* accounts.register(registration())
      for (const login of ["ada@example.com", " ADA@EXAMPLE.COM ", "ada", "Ada"]) {
        const session = yield* accounts.login(credentials(login, "correct horse battery"))
        expect(session.user).toEqual(user)
        expect(session.expiresIn).toBeGreaterThan(0)
        expect(yield* accounts.currentUser(session.accessToken)).toEqual(user)
      }
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("login - a wrong password and an unknown account fail alike, after the same hashing work", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      yield* accounts.register(registration())
      yield* Ref.set(verifications, 0)
      const wrong = yield* Effect.either(accounts.login(credentials("ada", "not the password")))
      const unknown = yield* Effect.either(accounts.login(credentials("nobody@example.com", "not the password")))
      expect(wrong).toEqual(Either.left(new InvalidCredentials()))
      expect(unknown).toEqual(Either.left(new InvalidCredentials()))
      expect(yield* Ref.get(verifications)).toBe(2)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("login - an inactive account is refused, and only told so with the right password", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      const hasher = yield* PasswordHasher
      const stored = aStoredUser({ username: "sleeper", is_active: false })
      yield* (yield* UserRepository).insert({
        ...stored,
        passwordHash: yield* hasher.hash(Redacted.make("right password")),
      })
      expect(yield* Effect.either(accounts.login(credentials("sleeper", "right password")))).toEqual(
        Either.left(new InactiveUser()),
      )
      expect(yield* Effect.either(accounts.login(credentials("sleeper", "wrong password")))).toEqual(
        Either.left(new InvalidCredentials()),
      )
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("currentUser - refuses garbage, expired tokens and tokens of accounts gone or deactivated", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      expect(yield* Effect.either(accounts.currentUser(Redacted.make("garbage")))).toEqual(
        Either.left(new InvalidToken()),
      )
      yield* accounts.register(registration())
      const session = yield* accounts.login(credentials("ada", "correct horse battery"))
      yield* TestClock.adjust(`${session.expiresIn + 1} seconds`)
      expect(yield* Effect.either(accounts.currentUser(session.accessToken))).toEqual(Either.left(new InvalidToken()))

      const tokens = yield* AccessTokens
      const gone = yield* tokens.issue(aStoredUser().user.id)
      expect(yield* Effect.either(accounts.currentUser(gone.token))).toEqual(Either.left(new InvalidToken()))
      const inactive = aStoredUser({ is_active: false })
      yield* (yield* UserRepository).insert(inactive)
      const sleeping = yield* tokens.issue(inactive.user.id)
      expect(yield* Effect.either(accounts.currentUser(sleeping.token))).toEqual(Either.left(new InactiveUser()))
    }).pipe(Effect.provide(TestDomain)),
  )
})
