import { describe, expect, it } from "@effect/vitest"
import {
  AccountChanges,
  Accounts,
  Administration,
  Credentials,
  EmailAlreadyRegistered,
  InactiveUser,
  InvalidCredentials,
  InvalidToken,
  LastActiveSuperuser,
  OwnAccount,
  PasswordChange,
  ProfileChanges,
  UserRepository,
  WrongPassword,
} from "@userkit/domain"
import { aClient } from "@userkit/domain/testing"
import { Effect, Either, Option, Schema, TestClock } from "effect"
import { aMember, aSuperuser, TestDomain } from "../support/domain.js"

const changes = Schema.decodeUnknownSync(ProfileChanges)
const login = (username: string, password: string) =>
  Effect.flatMap(Accounts, (a) =>
    Effect.either(a.login(Schema.decodeUnknownSync(Credentials)({ login: username, password }), aClient)),
  )

describe("a user's own account", () => {
  it.effect("updateProfile - changes only what was sent, stamps updated_at, and keeps the rest", () =>
    Effect.gen(function* () {
      const me = yield* aMember({ full_name: "Old Name", bio: "old bio" })
      yield* TestClock.adjust("1 hour")
      const updated = yield* (yield* OwnAccount).updateProfile(me, changes({ full_name: "New Name", avatar_url: null }))
      expect(updated).toMatchObject({ full_name: "New Name", bio: "old bio", email: me.email, is_superuser: false })
      expect(updated.updated_at.epochMillis - me.updated_at.epochMillis).toBe(3_600_000)
      const stored = yield* (yield* UserRepository).findById(me.id)
      expect(Option.map(stored, (s) => s.user)).toEqual(Option.some(updated))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("updateProfile - a new email or username must be free", () =>
    Effect.gen(function* () {
      const other = yield* aMember()
      const me = yield* aMember()
      const result = yield* Effect.either(
        (yield* OwnAccount).updateProfile(
          me,
          changes({ email: other.email.toUpperCase(), current_password: "member password" }),
        ),
      )
      expect(result).toEqual(Either.left(new EmailAlreadyRegistered()))
    }).pipe(Effect.provide(TestDomain)),
  )

  it("ProfileChanges - refuses privileges and unknown fields rather than ignoring them", () => {
    for (const field of ["is_superuser", "is_active", "id", "password", "created_at", "hashed_password"]) {
      const result = Schema.decodeUnknownEither(ProfileChanges)({ full_name: "x", [field]: true })
      expect(Either.isLeft(result), field).toBe(true)
      expect(String(Either.getLeft(result)), field).toContain(field)
    }
  })

  it.effect("changePassword - needs the current password, and then only the new one logs in", () =>
    Effect.gen(function* () {
      const me = yield* aMember({ username: "changer" })
      const own = yield* OwnAccount
      const change = (current: string, next: string) =>
        Schema.decodeUnknownSync(PasswordChange)({ current_password: current, new_password: next })
      expect(
        yield* Effect.either(own.changePassword(me, change("wrong password", "brand new password"), aClient)),
      ).toEqual(Either.left(new WrongPassword()))
      yield* own.changePassword(me, change("member password", "brand new password"), aClient)
      expect(yield* login("changer", "member password")).toEqual(Either.left(new InvalidCredentials()))
      expect(Either.isRight(yield* login("changer", "brand new password"))).toBe(true)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("changePassword - of concurrent changes made with the same current password, exactly one stands", () =>
    Effect.gen(function* () {
      const me = yield* aMember({ username: "racer" })
      const own = yield* OwnAccount
      const attempts = Array.from({ length: 10 }, (_, i) =>
        Schema.decodeUnknownSync(PasswordChange)({
          current_password: "member password",
          new_password: `new pass ${i}!`,
        }),
      )
      const results = yield* Effect.all(
        attempts.map((change) => Effect.either(own.changePassword(me, change, aClient))),
        { concurrency: "unbounded" },
      )
      expect(results.filter(Either.isRight)).toHaveLength(1)
      expect(new Set(results.filter(Either.isLeft).map((r) => r.left._tag))).toEqual(new Set(["WrongPassword"]))
      const winner = results.findIndex(Either.isRight)
      const logins = yield* Effect.forEach(attempts.keys(), (i) => login("racer", `new pass ${i}!`))
      expect(logins.map(Either.isRight)).toEqual(attempts.map((_, i) => i === winner))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("updateProfile - from a copy loaded before an administrator's demotion, leaves the demotion standing", () =>
    Effect.gen(function* () {
      yield* aSuperuser
      const admin = yield* aSuperuser
      const target = yield* aSuperuser
      // The copy a request authenticated with, before the administrator acts.
      const stale = target
      yield* (yield* Administration).update(
        admin,
        target.id,
        Schema.decodeUnknownSync(AccountChanges)({ is_superuser: false }),
      )
      const updated = yield* (yield* OwnAccount).updateProfile(stale, changes({ bio: "edited" }))
      expect(updated).toMatchObject({ bio: "edited", is_superuser: false, is_active: true })
      const stored = yield* (yield* UserRepository).findById(target.id)
      expect(Option.map(stored, (s) => s.user)).toEqual(Option.some(updated))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("deactivate - the account can no longer log in, and its tokens stop working", () =>
    Effect.gen(function* () {
      const me = yield* aMember({ username: "leaver" })
      const own = yield* OwnAccount
      const accounts = yield* Accounts
      const session = yield* accounts.login(
        Schema.decodeUnknownSync(Credentials)({ login: "leaver", password: "member password" }),
        aClient,
      )
      yield* own.deactivate(me)
      // Its sessions ended with it: the token names a session that is no more.
      expect(yield* Effect.either(accounts.currentUser(session.accessToken))).toEqual(Either.left(new InvalidToken()))
      expect(yield* login("leaver", "member password")).toEqual(Either.left(new InactiveUser()))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("deactivate - the last active superuser may not leave", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      expect(yield* Effect.either((yield* OwnAccount).deactivate(root))).toEqual(Either.left(new LastActiveSuperuser()))
      yield* aSuperuser
      yield* (yield* OwnAccount).deactivate(root)
    }).pipe(Effect.provide(TestDomain)),
  )
})
