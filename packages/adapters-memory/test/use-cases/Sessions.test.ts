import { describe, expect, it } from "@effect/vitest"
import {
  AccountChanges,
  Accounts,
  Administration,
  type Client,
  Credentials,
  clientAt,
  InvalidRefreshToken,
  InvalidToken,
  OwnAccount,
  PasswordChange,
  RefreshTokenReused,
  SessionNotFound,
  Sessions,
  type SignedIn,
} from "@userkit/domain"
import { Array as Arr, Duration, Effect, Either, Redacted, Schema, TestClock } from "effect"
import { aMember, aSuperuser, TestDomain } from "../support/domain.js"

const laptop = clientAt("192.0.2.1", "Firefox on the laptop")
const phone = clientAt("192.0.2.2", "Safari on the phone")

const logIn = (username: string, client: Client = laptop, password = "member password") =>
  Effect.flatMap(Accounts, (accounts) =>
    accounts.login(Schema.decodeUnknownSync(Credentials)({ login: username, password }), client),
  )
const refresh = (signedIn: SignedIn, client: Client = laptop) =>
  Effect.flatMap(Sessions, (sessions) => Effect.either(sessions.refresh(signedIn.refreshToken, client)))
const caller = (signedIn: SignedIn) =>
  Effect.flatMap(Sessions, (sessions) => sessions.authenticate(signedIn.accessToken))
const isLive = (signedIn: SignedIn) =>
  Effect.flatMap(Accounts, (accounts) =>
    Effect.map(Effect.either(accounts.currentUser(signedIn.accessToken)), Either.isRight),
  )
const pairOf = (signedIn: SignedIn) => [Redacted.value(signedIn.accessToken), Redacted.value(signedIn.refreshToken)]

describe("sessions", () => {
  it.effect(
    "login opens a session answering a refresh token; a refresh answers a new pair and retires the old token",
    () =>
      Effect.gen(function* () {
        yield* aMember({ username: "ada" })
        const first = yield* logIn("ada")
        expect(Redacted.value(first.refreshToken)).toMatch(/^[A-Za-z0-9_-]{43}$/)
        expect(first.refreshExpiresIn).toBe(Duration.toSeconds("7 days"))
        yield* TestClock.adjust("1 hour")
        const second = Either.getOrThrow(yield* refresh(first))
        expect(second.sessionId).toBe(first.sessionId)
        expect(pairOf(second)).not.toEqual(pairOf(first))
        expect(yield* isLive(second)).toBe(true)
        // The session's idle end moved with the refresh: 7 days from now.
        expect(second.refreshExpiresIn).toBe(Duration.toSeconds("7 days"))
        const third = Either.getOrThrow(yield* refresh(second))
        expect(pairOf(third)).not.toEqual(pairOf(second))
      }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("10 concurrent refreshes with one token answer one new pair, and log no one out", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada" })
      const signedIn = yield* logIn("ada")
      const answers = yield* Effect.all(Arr.replicate(refresh(signedIn), 10), { concurrency: "unbounded" }).pipe(
        Effect.withMaxOpsBeforeYield(16),
      )
      const pairs = answers.map((answer) => pairOf(Either.getOrThrow(answer)))
      expect(new Set(pairs.map((pair) => pair.join(" "))).size).toBe(1)
      const next = Either.getOrThrow(answers[0] ?? Either.left("none"))
      expect(yield* isLive(next)).toBe(true)
      expect(Either.isRight(yield* refresh(next))).toBe(true)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect(
    "a token replayed within 10 s answers the same pair; after that it ends the session and its access tokens",
    () =>
      Effect.gen(function* () {
        yield* aMember({ username: "ada" })
        const stolen = yield* logIn("ada")
        const next = Either.getOrThrow(yield* refresh(stolen))
        yield* TestClock.adjust("9 seconds")
        expect(pairOf(Either.getOrThrow(yield* refresh(stolen, phone)))).toEqual(pairOf(next))
        yield* TestClock.adjust("1 second")
        expect(yield* refresh(stolen, phone)).toEqual(Either.left(new RefreshTokenReused()))
        expect(yield* isLive(next)).toBe(false)
        expect(yield* refresh(next)).toEqual(Either.left(new InvalidRefreshToken()))
        // Another session of the same account is not touched.
        const other = yield* logIn("ada", phone)
        expect(yield* isLive(other)).toBe(true)
      }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("refuses garbage, unknown and expired refresh tokens alike", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada" })
      const sessions = yield* Sessions
      for (const token of ["", "garbage", "x".repeat(43), "a".repeat(10_000)]) {
        expect(yield* Effect.either(sessions.refresh(Redacted.make(token), laptop))).toEqual(
          Either.left(new InvalidRefreshToken()),
        )
      }
      const idle = yield* logIn("ada")
      yield* TestClock.adjust("7 days")
      expect(yield* refresh(idle)).toEqual(Either.left(new InvalidRefreshToken()))
      expect(yield* isLive(idle)).toBe(false)
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("a session used every day still ends 30 days after its login", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada" })
      let signedIn = yield* logIn("ada")
      for (let day = 1; day < 30; day++) {
        yield* TestClock.adjust("1 day")
        signedIn = Either.getOrThrow(yield* refresh(signedIn))
      }
      expect(signedIn.refreshExpiresIn).toBe(Duration.toSeconds("1 day"))
      yield* TestClock.adjust("1 day")
      expect(yield* refresh(signedIn)).toEqual(Either.left(new InvalidRefreshToken()))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect(
    "lists the caller's live sessions, marks the current one, and revokes one; another user's is not found",
    () =>
      Effect.gen(function* () {
        yield* aMember({ username: "ada" })
        yield* aMember({ username: "bob" })
        const sessions = yield* Sessions
        const onLaptop = yield* logIn("ada", laptop)
        yield* TestClock.adjust("1 minute")
        const onPhone = yield* logIn("ada", phone)
        const bobs = yield* logIn("bob")
        const me = yield* caller(onLaptop)
        const listed = yield* sessions.list(me)
        expect(listed.map(({ session, current }) => [session.id, session.userAgent, session.address, current])).toEqual(
          [
            [onPhone.sessionId, "Safari on the phone", "192.0.2.2", false],
            [onLaptop.sessionId, "Firefox on the laptop", "192.0.2.1", true],
          ],
        )
        expect(yield* Effect.either(sessions.revoke(me, bobs.sessionId))).toEqual(Either.left(new SessionNotFound()))
        expect(yield* isLive(bobs)).toBe(true)
        yield* sessions.revoke(me, onPhone.sessionId)
        expect(yield* isLive(onPhone)).toBe(false)
        expect(yield* refresh(onPhone, phone)).toEqual(Either.left(new InvalidRefreshToken()))
        expect(yield* Effect.either(sessions.revoke(me, onPhone.sessionId))).toEqual(Either.left(new SessionNotFound()))
      }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("logout ends the caller's session (local), every other one (others), or all (global)", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada" })
      const sessions = yield* Sessions
      const three = () => Effect.all([logIn("ada", laptop), logIn("ada", phone), logIn("ada", phone)])
      const live = (all: ReadonlyArray<SignedIn>) => Effect.forEach(all, isLive)

      const local = yield* three()
      yield* sessions.logout(yield* caller(local[0] as SignedIn), "local")
      expect(yield* live(local)).toEqual([false, true, true])

      const others = yield* three()
      yield* sessions.logout(yield* caller(others[0] as SignedIn), "others")
      expect(yield* live(others)).toEqual([true, false, false])

      const global = yield* three()
      yield* sessions.logout(yield* caller(global[0] as SignedIn), "global")
      expect(yield* live([...global, ...others])).toEqual([false, false, false, false, false, false])
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("a password change ends every other session; deactivation ends them all", () =>
    Effect.gen(function* () {
      const me = yield* aMember({ username: "ada" })
      const own = yield* OwnAccount
      const [here, there] = yield* Effect.all([logIn("ada", laptop), logIn("ada", phone)])
      const change = Schema.decodeUnknownSync(PasswordChange)({
        current_password: "member password",
        new_password: "a brand new password",
      })
      yield* own.changePassword(me, change, laptop, here.sessionId)
      expect([yield* isLive(here), yield* isLive(there)]).toEqual([true, false])
      yield* own.deactivate(me)
      expect(yield* isLive(here)).toBe(false)
      expect(yield* Effect.either(caller(here))).toEqual(Either.left(new InvalidToken()))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect(
    "an administrator's reset, deactivation, demotion or deletion ends the account's sessions; admins list and revoke them",
    () =>
      Effect.gen(function* () {
        const root = yield* aSuperuser
        const admin = yield* Administration
        const changes = Schema.decodeUnknownSync(AccountChanges)
        const member = yield* aMember({ username: "ada" })
        const beforeReset = yield* logIn("ada")
        yield* admin.update(root, member.id, changes({ password: "reset by the admin" }))
        expect(yield* isLive(beforeReset)).toBe(false)
        const beforeDeactivation = yield* logIn("ada", laptop, "reset by the admin")
        yield* admin.update(root, member.id, changes({ is_active: false }))
        expect(yield* isLive(beforeDeactivation)).toBe(false)
        const boss = yield* aMember({ username: "boss" })
        yield* admin.update(root, boss.id, changes({ is_superuser: true }))
        const bossIn = yield* logIn("boss")
        yield* admin.update(root, boss.id, changes({ is_superuser: false }))
        expect(yield* isLive(bossIn)).toBe(false)

        const listedIn = yield* logIn("boss")
        expect((yield* admin.listSessions(root, boss.id)).map((session) => session.id)).toEqual([listedIn.sessionId])
        yield* admin.revokeSession(root, boss.id, listedIn.sessionId)
        expect(yield* isLive(listedIn)).toBe(false)
        expect(yield* Effect.either(admin.revokeSession(root, boss.id, listedIn.sessionId))).toEqual(
          Either.left(new SessionNotFound()),
        )
        const beforeDeletion = yield* logIn("boss")
        yield* admin.delete(root, boss.id)
        expect(yield* isLive(beforeDeletion)).toBe(false)
      }).pipe(Effect.provide(TestDomain)),
  )
})
