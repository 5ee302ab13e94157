import { describe, expect, it } from "@effect/vitest"
import {
  AccountChanges,
  Accounts,
  Administration,
  Credentials,
  EmailAlreadyRegistered,
  Forbidden,
  LastActiveSuperuser,
  NewAccount,
  OwnAccount,
  UserNotFound,
  Username,
} from "@userkit/domain"
import { aClient, aListingRequest } from "@userkit/domain/testing"
import { Effect, Either, Option, Schema } from "effect"
import { aMember, aSuperuser, TestDomain } from "../support/domain.js"

const changes = Schema.decodeUnknownSync(AccountChanges)
const everyone = aListingRequest()

describe("administration", () => {
  it.effect("is refused to anyone but an active superuser, whatever they ask", () =>
    Effect.gen(function* () {
      const member = yield* aMember()
      const admin = yield* Administration
      const forbidden = Either.left(new Forbidden())
      expect(yield* Effect.either(admin.list(member, everyone))).toEqual(forbidden)
      expect(yield* Effect.either(admin.get(member, member.id))).toEqual(forbidden)
      expect(yield* Effect.either(admin.update(member, member.id, changes({ is_superuser: true })))).toEqual(forbidden)
      expect(yield* Effect.either(admin.delete(member, member.id))).toEqual(forbidden)
      const input = Schema.decodeUnknownSync(NewAccount)({
        email: "x@example.com",
        username: "xxx",
        password: "password1",
        is_superuser: true,
      })
      expect(yield* Effect.either(admin.create(member, input))).toEqual(forbidden)
      expect((yield* Effect.either(admin.get(member, member.id)))._tag).toBe("Left")
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("lists inactive accounts too, and searches emails", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      const gone = yield* aMember({ email: "gone@elsewhere.net" })
      yield* (yield* OwnAccount).deactivate(gone)
      const admin = yield* Administration
      const found = yield* admin.list(root, {
        ...everyone,
        search: Option.some("elsewhere"),
        isActive: Option.some(false),
      })
      expect(found.items.map((u) => u.email)).toEqual(["gone@elsewhere.net"])
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("sorts by email and filters by superuser, which the directory refuses", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      yield* aMember({ email: "b@example.org" })
      yield* aMember({ email: "A@example.org" })
      const admin = yield* Administration
      const byEmail = yield* admin.list(root, { ...everyone, sort: "email", search: Option.some("@example.org") })
      expect(byEmail.items.map((u) => u.email)).toEqual(["A@example.org", "b@example.org"])
      const superusers = yield* admin.list(root, { ...everyone, isSuperuser: Option.some(true) })
      expect(superusers.items.map((u) => u.id)).toEqual([root.id])
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("creates accounts with privileges, and refuses a taken email", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      const admin = yield* Administration
      const input = Schema.decodeUnknownSync(NewAccount)({
        email: "Deputy@example.com",
        username: "deputy",
        password: "deputy password",
        is_superuser: true,
      })
      const deputy = yield* admin.create(root, input)
      expect(deputy).toMatchObject({ is_superuser: true, is_active: true })
      expect(yield* Effect.either(admin.create(root, { ...input, username: Username.make("other") }))).toEqual(
        Either.left(new EmailAlreadyRegistered()),
      )
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("activates, promotes, demotes and sets a new password", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      const member = yield* aMember({ username: "promoted" })
      const admin = yield* Administration
      const promoted = yield* admin.update(root, member.id, changes({ is_superuser: true, password: "set by root!" }))
      expect(promoted.is_superuser).toBe(true)
      const session = yield* (yield* Accounts).login(
        Schema.decodeUnknownSync(Credentials)({ login: "promoted", password: "set by root!" }),
        aClient,
      )
      expect(session.user.is_superuser).toBe(true)
      yield* admin.update(root, member.id, changes({ is_superuser: false, is_active: false }))
      expect(yield* admin.get(root, member.id)).toMatchObject({ is_superuser: false, is_active: false })
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("never leaves the system without an active superuser", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      const admin = yield* Administration
      const refused = Either.left(new LastActiveSuperuser())
      expect(yield* Effect.either(admin.update(root, root.id, changes({ is_superuser: false })))).toEqual(refused)
      expect(yield* Effect.either(admin.update(root, root.id, changes({ is_active: false })))).toEqual(refused)
      expect(yield* Effect.either(admin.delete(root, root.id))).toEqual(refused)
      const member = yield* aMember()
      yield* admin.delete(root, member.id)
      expect(yield* Effect.either(admin.get(root, member.id))).toEqual(Either.left(new UserNotFound()))
    }).pipe(Effect.provide(TestDomain)),
  )
})
