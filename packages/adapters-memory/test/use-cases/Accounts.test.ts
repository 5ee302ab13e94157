import { describe, expect, it } from "@effect/vitest"
import {
  AccessTokens,
  Accounts,
  AuditLog,
  Credentials,
  EmailAlreadyRegistered,
  generateSessionId,
  InactiveUser,
  InvalidCredentials,
  InvalidToken,
  Limits,
  PasswordHasher,
  PasswordPolicy,
  Registration,
  SessionStore,
  stamped,
  UseCases,
  type UserId,
  UsernameTaken,
  UserRepository,
} from "@userkit/domain"
import { aClient, aStoredUser, type StoredUserOverrides } from "@userkit/domain/testing"
import { DateTime, Effect, Either, Layer, Option, Redacted, Ref, Schema, TestClock } from "effect"
import { FastPasswordHasher, MemoryAdapters } from "../../src/index.js"

// The domain on memory adapters, its hasher configured at cost 2, with the hasher's verifications
// counted and a hook run (once) just before its next hash, to land a write in the middle of a use case.
const verifications = Effect.runSync(Ref.make(0))
const beforeNextHash = Effect.runSync(Ref.make<Effect.Effect<void>>(Effect.void))
const InstrumentedHasher = Layer.effect(
  PasswordHasher,
  Effect.map(PasswordHasher, (hasher) =>
    PasswordHasher.of({
      hash: (password) =>
        Effect.zipRight(Effect.flatten(Ref.getAndSet(beforeNextHash, Effect.void)), hasher.hash(password)),
      verify: (password, hash) =>
        Effect.zipRight(
          Ref.update(verifications, (n) => n + 1),
          hasher.verify(password, hash),
        ),
      needsRehash: hasher.needsRehash,
    }),
  ),
)
const TestDomain = UseCases.layer.pipe(
  Layer.provideMerge(
    Layer.mergeAll(
      Limits.unlimited,
      PasswordPolicy.layer(),
      InstrumentedHasher.pipe(Layer.provide(FastPasswordHasher.layer({ cost: 2 }))),
    ),
  ),
  Layer.provideMerge(MemoryAdapters.layer),
)

/** A user whose password was hashed at cost 1, before the hasher's cost was raised to 2. */
const storedBeforeCostChange = (password: string, fields: StoredUserOverrides) =>
  Effect.gen(function* () {
    const oldHasher = yield* FastPasswordHasher.make({ cost: 1 })
    const stored = { ...aStoredUser(fields), passwordHash: yield* oldHasher.hash(Redacted.make(password)) }
    yield* (yield* UserRepository).insert(stored)
    return stored
  })
const storedHash = (id: UserId) =>
  Effect.flatMap(UserRepository, (users) => users.findById(id)).pipe(
    Effect.map((found) => Option.getOrThrow(found).passwordHash),
  )

const registration = (fields: Record<string, unknown> = {}) =>
  Schema.decodeUnknownSync(Registration)({
    email: "ada@example.com",
    username: "ada",
    password: "correct horse battery",
    ...fields,
  })
const credentials = (username: string, password: string) =>
  Schema.decodeUnknownSync(Credentials)({ login: username, password })

describe("Accounts", () => {
  it.effect("register - opens an active, unprivileged account stamped with the clock's time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-05-04T03:02:01.000Z"))
      const user = yield* (yield* Accounts).register(registration({ full_name: "Ada Lovelace" }), aClient)
      expect(user).toMatchObject({ email: "ada@example.com", username: "ada", full_name: "Ada Lovelace", bio: null })
      expect(user).toMatchObject({ is_active: true, is_superuser: false })
      expect(DateTime.formatIso(user.created_at)).toBe("2026-05-04T03:02:01.000Z")
      expect(user.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("register - refuses a second account with the same email or username in another case", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      yield* accounts.register(registration(), aClient)
      const sameEmail = yield* Effect.either(
        accounts.register(registration({ email: " ADA@example.COM ", username: "x_y" }), aClient),
      )
      expect(sameEmail).toEqual(Either.left(new EmailAlreadyRegistered()))
      const sameName = yield* Effect.either(
        accounts.register(registration({ email: "b@example.com", username: "ADA" }), aClient),
      )
      expect(sameName).toEqual(Either.left(new UsernameTaken()))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("login - by email or username in any case, with a token that speaks for the user", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      const user = yield* accounts.register(registration(), aClient)
      for (const login of ["ada@example.com", " ADA@EXAMPLE.COM ", "ada", "Ada"]) {
        const session = yield* accounts.login(credentials(login, "correct horse battery"), aClient)
        expect(session.user).toEqual(user)
        expect(session.expiresIn).toBeGreaterThan(0)
        expect(yield* accounts.currentUser(session.accessToken)).toEqual(user)
      }
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("login - a wrong password and an unknown account fail alike, after the same hashing work", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      yield* accounts.register(registration(), aClient)
      yield* Ref.set(verifications, 0)
      const wrong = yield* Effect.either(accounts.login(credentials("ada", "not the password"), aClient))
      const unknown = yield* Effect.either(
        accounts.login(credentials("nobody@example.com", "not the password"), aClient),
      )
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
      expect(yield* Effect.either(accounts.login(credentials("sleeper", "right password"), aClient))).toEqual(
        Either.left(new InactiveUser()),
      )
      expect(yield* Effect.either(accounts.login(credentials("sleeper", "wrong password"), aClient))).toEqual(
        Either.left(new InvalidCredentials()),
      )
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("login - remakes a hash made at another cost once the password is verified, and only once", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      const hasher = yield* PasswordHasher
      const stored = yield* storedBeforeCostChange("old cost password", { username: "veteran" })
      expect(hasher.needsRehash(stored.passwordHash)).toBe(true)
      yield* accounts.login(credentials("veteran", "old cost password"), aClient)
      const upgraded = yield* storedHash(stored.user.id)
      expect(upgraded).not.toEqual(stored.passwordHash)
      expect(hasher.needsRehash(upgraded)).toBe(false)
      expect(yield* hasher.verify(Redacted.make("old cost password"), upgraded)).toBe(true)
      yield* accounts.login(credentials("veteran", "old cost password"), aClient)
      expect(yield* storedHash(stored.user.id)).toEqual(upgraded)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("login - keeps a hash made at another cost after a wrong password, and for an inactive account", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      const veteran = yield* storedBeforeCostChange("old cost password", { username: "veteran" })
      expect(yield* Effect.either(accounts.login(credentials("veteran", "not the password"), aClient))).toEqual(
        Either.left(new InvalidCredentials()),
      )
      expect(yield* storedHash(veteran.user.id)).toEqual(veteran.passwordHash)
      const sleeper = yield* storedBeforeCostChange("old cost password", { username: "sleeper", is_active: false })
      expect(yield* Effect.either(accounts.login(credentials("sleeper", "old cost password"), aClient))).toEqual(
        Either.left(new InactiveUser()),
      )
      expect(yield* storedHash(sleeper.user.id)).toEqual(sleeper.passwordHash)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect(
    "login - never undoes a password change that lands while the old hash is being remade, nor opens a session on it",
    () =>
      Effect.gen(function* () {
        const accounts = yield* Accounts
        const hasher = yield* PasswordHasher
        const stored = yield* storedBeforeCostChange("old cost password", { username: "veteran" })
        const changed = yield* hasher.hash(Redacted.make("brand new password"))
        // Lands after the login has verified the old password, while it hashes it anew.
        yield* Ref.set(beforeNextHash, Effect.orDie((yield* UserRepository).setPasswordHash(stored.user.id, changed)))
        // The password it verified is no longer the password: no session comes of it.
        expect(yield* Effect.either(accounts.login(credentials("veteran", "old cost password"), aClient))).toEqual(
          Either.left(new InvalidCredentials()),
        )
        expect(yield* storedHash(stored.user.id)).toEqual(changed)
        expect(yield* (yield* SessionStore).listLive(stored.user.id)).toEqual([])
        const failed = yield* (yield* AuditLog).list({ target: stored.user.id, types: ["login_failed"], limit: 10 })
        expect(failed.map((event) => event.detail)).toEqual(["account changed during login"])
        expect(yield* Effect.either(accounts.login(credentials("veteran", "old cost password"), aClient))).toEqual(
          Either.left(new InvalidCredentials()),
        )
        expect((yield* accounts.login(credentials("veteran", "brand new password"), aClient)).user.id).toEqual(
          stored.user.id,
        )
      }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("login - refused as inactive when the account is deactivated after its password was verified", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      const stored = yield* storedBeforeCostChange("old cost password", { username: "leaving" })
      const users = yield* UserRepository
      const deactivate = Effect.flatMap(DateTime.now, (updatedAt) =>
        users.setStanding(stored.user.id, { is_active: false, updatedAt }),
      )
      // Lands after the login has verified the password, while it hashes it anew.
      yield* Ref.set(beforeNextHash, Effect.asVoid(Effect.orDie(deactivate)))
      expect(yield* Effect.either(accounts.login(credentials("leaving", "old cost password"), aClient))).toEqual(
        Either.left(new InactiveUser()),
      )
      expect(yield* (yield* SessionStore).listLive(stored.user.id)).toEqual([])
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("currentUser - refuses garbage, expired tokens and tokens of accounts gone or deactivated", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      expect(yield* Effect.either(accounts.currentUser(Redacted.make("garbage")))).toEqual(
        Either.left(new InvalidToken()),
      )
      yield* accounts.register(registration(), aClient)
      const session = yield* accounts.login(credentials("ada", "correct horse battery"), aClient)
      yield* TestClock.adjust(`${session.expiresIn + 1} seconds`)
      expect(yield* Effect.either(accounts.currentUser(session.accessToken))).toEqual(Either.left(new InvalidToken()))

      // A well-signed token whose session was never opened is refused like garbage.
      const tokens = yield* AccessTokens
      const grant = { userId: aStoredUser().user.id, sessionId: yield* generateSessionId }
      const unopened = yield* tokens.issue(grant, yield* DateTime.now)
      expect(yield* Effect.either(accounts.currentUser(unopened.token))).toEqual(Either.left(new InvalidToken()))
      // Deactivated in the store alone, its session left live: the account's standing still refuses it.
      const sleeper = aStoredUser({
        passwordHash: yield* (yield* PasswordHasher).hash(Redacted.make("sleeper password")),
      })
      yield* (yield* UserRepository).insert(sleeper)
      const sleeping = yield* accounts.login(credentials(sleeper.user.username, "sleeper password"), aClient)
      yield* (yield* UserRepository).setStanding(sleeper.user.id, yield* stamped({ is_active: false }))
      expect(yield* Effect.either(accounts.currentUser(sleeping.accessToken))).toEqual(Either.left(new InactiveUser()))
    }).pipe(Effect.provide(TestDomain)),
  )
})
