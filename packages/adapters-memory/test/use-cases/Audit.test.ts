import { expect, layer } from "@effect/vitest"
import {
  AccountChanges,
  Accounts,
  Administration,
  type AuditEvent,
  type AuditEventType,
  BackoffRule,
  type Client,
  clientAt,
  DEFAULT_LIMIT_RULES,
  EmailAlreadyRegistered,
  EmailVerification,
  Forbidden,
  LastActiveSuperuser,
  LimitRules,
  NewAccount,
  OwnAccount,
  PasswordPolicy,
  PasswordRecovery,
  RateLimited,
  RateRule,
  RefreshTokenReused,
  Registration,
  Sessions,
  UserRepository,
  WrongPassword,
} from "@userkit/domain"
import { aClient } from "@userkit/domain/testing"
import { Array as Arr, DateTime, Duration, Effect, Either, Layer, Option, Redacted, Schema, TestClock } from "effect"
import { MemoryDomain } from "../../src/index.js"
import { aMember, aSuperuser, TestDomain } from "../support/domain.js"
import {
  allEvents,
  callerOf,
  email,
  eventsAbout,
  eventsFrom,
  facts,
  logIn,
  mailTo,
  passwordChange,
  profileChanges,
  RESET_SUBJECT,
  signIn,
  theOne,
  tokenIn,
  VERIFY_SUBJECT,
} from "../support/recovery.js"

const phone = clientAt("198.51.100.7", "Safari on the phone")
const accountChanges = Schema.decodeUnknownSync(AccountChanges)
const signInFrom = (login: string, client: Client = phone) => signIn(login, "member password", client)

layer(TestDomain)("audit trail", (it) => {
  it.effect("register, sessions, failed logins: one event each, saying who, to whom, from where", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const user = yield* aMember()
      const self = { actor: user.id, target: user.id, address: phone.address, detail: null }
      expect(yield* theOne(user.id, "registered")).toEqual({ ...self, address: aClient.address })
      const signInHere = signInFrom(user.username)
      const [here, there, stolen] = yield* Effect.all([signInHere, signInHere, signInHere])
      const loggedIn = yield* eventsAbout(user.id, "logged_in")
      expect(loggedIn.map((e) => [e.actor, e.address, e.userAgent])).toEqual(
        Arr.replicate([user.id, phone.address, "Safari on the phone"], 3),
      )
      yield* sessions.revoke(yield* callerOf(here), there.sessionId, phone)
      expect(yield* theOne(user.id, "session_revoked")).toEqual(self)
      yield* sessions.logout(yield* callerOf(here), "local", phone)
      expect(yield* theOne(user.id, "logged_out")).toEqual({ ...self, detail: "local" })

      // A rotated refresh token presented again after the 10 s reuse window.
      yield* sessions.refresh(stolen.refreshToken, phone)
      yield* TestClock.adjust("11 seconds")
      const thief = clientAt("198.51.100.66")
      const reused = yield* Effect.either(sessions.refresh(stolen.refreshToken, thief))
      expect(reused).toEqual(Either.left(new RefreshTokenReused()))
      const reuse = { actor: null, target: user.id, address: thief.address, detail: "session revoked" }
      expect(yield* theOne(user.id, "refresh_reuse_detected")).toEqual(reuse)

      yield* logIn("nobody-by-that-name", "a guess", thief)
      yield* TestClock.adjust("1 second")
      yield* logIn(user.username, "a wrong guess", thief)
      expect((yield* eventsFrom(thief, "login_failed")).map(facts)).toEqual([
        { actor: null, target: user.id, address: thief.address, detail: "wrong password" },
        { actor: null, target: null, address: thief.address, detail: "unknown login" },
      ])
    }),
  )

  it.effect("password change, reset requested and completed, email changed and verified: one event each", () =>
    Effect.gen(function* () {
      const own = yield* OwnAccount
      const user = yield* aMember()
      const self = { actor: user.id, target: user.id, address: phone.address, detail: null }
      yield* own.changePassword(user, passwordChange("member password", "changed by its owner"), phone)
      expect(yield* theOne(user.id, "password_changed")).toEqual(self)

      yield* (yield* PasswordRecovery).forgot(email(user.email), phone)
      const link = tokenIn(yield* mailTo(user.email, RESET_SUBJECT), "reset-password")
      expect(yield* theOne(user.id, "password_reset_requested")).toEqual({ ...self, actor: null })
      yield* (yield* PasswordRecovery).reset(link, Redacted.make("a brand new password"), phone)
      expect(yield* theOne(user.id, "password_reset_completed")).toEqual(self)

      const moved = yield* own.updateProfile(
        user,
        profileChanges({ email: `x${user.email}`, current_password: "a brand new password" }),
        phone,
      )
      expect(yield* theOne(user.id, "email_changed")).toEqual(self)
      const verifyLink = tokenIn(yield* mailTo(moved.email, VERIFY_SUBJECT), "verify-email")
      yield* (yield* EmailVerification).verify(verifyLink, phone)
      expect(yield* theOne(user.id, "email_verified")).toEqual(self)
      // Register's link and the one the change sent.
      expect(yield* eventsAbout(user.id, "email_verification_requested")).toHaveLength(2)
    }),
  )

  it.effect("an administrator's changes: one event each, the administrator its actor", () =>
    Effect.gen(function* () {
      const admin = yield* Administration
      const root = yield* aSuperuser
      const member = yield* aMember()
      const byRoot = { actor: root.id, target: member.id, address: phone.address, detail: null }
      const steps: ReadonlyArray<[Record<string, unknown>, AuditEventType]> = [
        [{ is_active: false }, "account_deactivated"],
        [{ is_active: true }, "account_activated"],
        [{ is_superuser: true }, "promoted"],
        [{ is_superuser: false }, "demoted"],
        [{ email_verified: true }, "email_verified"],
        [{ password: "set by the admin" }, "password_changed"],
      ]
      for (const [change, type] of steps) {
        yield* admin.update(root, member.id, accountChanges(change), phone)
        expect(yield* theOne(member.id, type)).toEqual(byRoot)
      }
      const session = yield* signIn(member.username, "set by the admin", aClient)
      yield* admin.revokeSession(root, member.id, session.sessionId, phone)
      expect(yield* theOne(member.id, "session_revoked")).toEqual(byRoot)
      const input = { email: `new-${member.email}`, username: `new${member.username}`, password: "opened by root" }
      const opened = yield* admin.create(root, Schema.decodeUnknownSync(NewAccount)(input), phone)
      expect(yield* theOne(opened.id, "registered")).toEqual({ ...byRoot, target: opened.id })
      yield* admin.delete(root, member.id, phone)
      expect(yield* theOne(member.id, "deleted")).toEqual(byRoot)
    }),
  )

  it.effect("a change that fails writes no event", () =>
    Effect.gen(function* () {
      const registered = Effect.map(allEvents, (events) => events.filter((e) => e.type === "registered").length)
      const user = yield* aMember()
      const before = yield* registered
      const again = { email: user.email.toUpperCase(), username: `x${user.username}`, password: "a password" }
      const taken = Schema.decodeUnknownSync(Registration)(again)
      expect(yield* Effect.either((yield* Accounts).register(taken, aClient))).toEqual(
        Either.left(new EmailAlreadyRegistered()),
      )
      expect(yield* registered).toBe(before)
      const wrong = passwordChange("not my password", "changed by its owner")
      expect(yield* Effect.either((yield* OwnAccount).changePassword(user, wrong, aClient))).toEqual(
        Either.left(new WrongPassword()),
      )
      expect(yield* eventsAbout(user.id, "password_changed")).toEqual([])
    }),
  )

  it.effect("Administration.audit - refused to members; filters by account, types, time; outlives accounts", () =>
    Effect.gen(function* () {
      const admin = yield* Administration
      const root = yield* aSuperuser
      const [ada, bob] = yield* Effect.all([aMember(), aMember()])
      expect(yield* Effect.either(admin.audit(ada, { limit: 10 }))).toEqual(Either.left(new Forbidden()))
      yield* TestClock.adjust("1 hour")
      const since = yield* DateTime.now
      yield* signInFrom(ada.username)
      yield* TestClock.adjust("1 hour")
      const until = yield* DateTime.now
      yield* signInFrom(ada.username)
      yield* TestClock.adjust("1 second")
      yield* signInFrom(bob.username)
      yield* TestClock.adjust("1 second")
      yield* admin.delete(root, ada.id)
      const read = (filter: Omit<Parameters<typeof admin.audit>[1], "limit">) =>
        Effect.map(admin.audit(root, { ...filter, limit: 100 }), (page) => page.events.map((e) => [e.type, e.target]))
      // Ada's account is gone; her events stay.
      const adas = yield* read({ userId: ada.id })
      expect(adas.map(([, target]) => target)).toEqual(Arr.replicate(ada.id, 5))
      expect(yield* read({ userId: ada.id, types: ["registered", "logged_in", "deleted"] })).toEqual(
        ["deleted", "logged_in", "logged_in", "registered"].map((type) => [type, ada.id]),
      )
      expect(yield* read({ userId: ada.id, since, until })).toEqual([["logged_in", ada.id]])
      expect(yield* read({ since: until, types: ["logged_in"] })).toEqual([
        ["logged_in", bob.id],
        ["logged_in", ada.id],
      ])
      expect(yield* read({ since: until, until: since })).toEqual([])
    }),
  )

  it.effect("Administration.audit - pages with before/next through every event exactly once, newest first", () =>
    Effect.gen(function* () {
      const admin = yield* Administration
      const root = yield* aSuperuser
      yield* Effect.all(Arr.makeBy(5, () => aMember()))
      const everything = yield* allEvents
      const seen: Array<AuditEvent> = []
      let before: AuditEvent["id"] | undefined
      do {
        const page = yield* admin.audit(root, { before, limit: 4 })
        expect(page.events.length).toBeLessThanOrEqual(4)
        seen.push(...page.events)
        before = page.next
      } while (before !== undefined)
      expect(seen.map((e) => e.id)).toEqual(everything.map((e) => e.id))
      expect(new Set(seen.map((e) => e.id)).size).toBe(everything.length)
    }),
  )

  it.effect("OwnAccount.events - only the caller's own events, a page at a time", () =>
    Effect.gen(function* () {
      const own = yield* OwnAccount
      const [ada, bob] = yield* Effect.all([aMember(), aMember()])
      yield* TestClock.adjust("1 second")
      yield* Effect.all([signInFrom(ada.username), signInFrom(bob.username), logIn(bob.username, "wrong", phone)])
      yield* TestClock.adjust("1 second")
      yield* logIn(ada.username, "wrong", phone)
      const first = yield* own.events(ada, { limit: 2 })
      expect(first.events.map((e) => [e.type, e.target])).toEqual([
        ["login_failed", ada.id],
        ["logged_in", ada.id],
      ])
      const rest = yield* own.events(ada, { before: first.next, limit: 10 })
      expect(rest.events.map((e) => [e.type, e.target]).sort()).toEqual([
        ["email_verification_requested", ada.id],
        ["registered", ada.id],
      ])
      expect(rest.next).toBeUndefined()
    }),
  )

  it.effect("events recorded within one millisecond are listed in the order they happened", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      // Twenty failed logins at one instant of the clock, each from its own address.
      const clients = Arr.makeBy(20, (i) => clientAt(`198.51.100.${100 + i}`))
      yield* Effect.forEach(clients, (client) => logIn(user.username, "a wrong guess", client))
      const listed = yield* eventsAbout(user.id, "login_failed")
      expect(listed.map((e) => e.address)).toEqual(clients.map((c) => c.address).reverse())
    }),
  )

  it.effect("no event holds a password, a token or a hash", () =>
    Effect.gen(function* () {
      const recovery = yield* PasswordRecovery
      const user = yield* aMember({ password: "registered password" })
      const verifyLink = tokenIn(yield* mailTo(user.email, VERIFY_SUBJECT), "verify-email")
      const signedIn = yield* signIn(user.username, "registered password", phone)
      yield* logIn(user.username, "a wrong guess typed", phone)
      yield* logIn("a login typed by no one", "another wrong guess", phone)
      yield* (yield* OwnAccount).changePassword(user, passwordChange("registered password", "changed password"), phone)
      yield* recovery.forgot(email(user.email), phone)
      const resetLink = tokenIn(yield* mailTo(user.email, RESET_SUBJECT), "reset-password")
      yield* recovery.reset(resetLink, Redacted.make("password after reset"), phone)
      yield* (yield* EmailVerification).verify(verifyLink, phone)
      const stored = Option.getOrThrow(yield* (yield* UserRepository).findById(user.id))
      const typed = ["registered password", "a wrong guess typed", "another wrong guess", "changed password"]
      const tokens = [verifyLink, resetLink, signedIn.accessToken, signedIn.refreshToken].map(Redacted.value)
      const secrets = [...typed, "password after reset", ...tokens, stored.passwordHash]
      const written = JSON.stringify(yield* allEvents)
      expect(written).toContain(user.id)
      for (const secret of secrets) expect(written).not.toContain(secret)
    }),
  )
})

layer(TestDomain)("audit trail - the last superuser", (it) => {
  it.effect("a change refused for leaving no active superuser writes no event", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      const admin = yield* Administration
      const refused = Either.left(new LastActiveSuperuser())
      for (const change of [{ is_superuser: false }, { is_active: false }]) {
        expect(yield* Effect.either(admin.update(root, root.id, accountChanges(change)))).toEqual(refused)
      }
      expect(yield* Effect.either(admin.delete(root, root.id))).toEqual(refused)
      expect(yield* Effect.either((yield* OwnAccount).deactivate(root))).toEqual(refused)
      expect((yield* eventsAbout(root.id)).map((e) => e.type)).toEqual(["registered"])
    }),
  )
})

const tight = new LimitRules({
  ...DEFAULT_LIMIT_RULES,
  login: new RateRule({ limit: 2, window: Duration.minutes(1) }),
  recoveryPerAccount: new RateRule({ limit: 1, window: Duration.hours(1) }),
  failedLogins: new BackoffRule({
    failuresBeforeDelay: 2,
    base: Duration.minutes(1),
    cap: Duration.minutes(5),
    forgetAfter: Duration.hours(1),
  }),
})

// MemoryDomain.limited leaves PasswordPolicy unprovided (a bug, reported): provided here until it does.
layer(MemoryDomain.limited(tight).pipe(Layer.provide(PasswordPolicy.layer())))("audit trail - limits", (it) => {
  it.effect("throttled: a refusal is recorded once a minute per key, with the client and the limit", () =>
    Effect.gen(function* () {
      const busy = clientAt("198.51.100.31")
      // Each a login of its own, so that only the address's limit refuses them.
      const tryLogIn = (n: number) => logIn(`nobody-number-${n}`, "a guess", busy)
      const answers = yield* Effect.forEach([1, 2, 3, 4], tryLogIn)
      expect(answers.slice(2)).toEqual(Arr.replicate(Either.left(new RateLimited({ retryAfterSeconds: 60 })), 2))
      const once = { actor: null, target: null, address: busy.address, detail: "login" }
      expect((yield* eventsFrom(busy, "throttled")).map(facts)).toEqual([once])
      yield* TestClock.adjust("1 minute")
      yield* Effect.forEach([5, 6, 7], tryLogIn)
      expect((yield* eventsFrom(busy, "throttled")).map(facts)).toEqual([once, once])
    }),
  )

  it.effect("throttled: a refused guess names the account; a refused reset request names the limit", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      const guesses = Arr.makeBy(3, (i) => clientAt(`198.51.100.${40 + i}`))
      const answers = yield* Effect.forEach(guesses, (client) => logIn(user.username, "a wrong guess", client))
      expect(answers[2]).toEqual(Either.left(new RateLimited({ retryAfterSeconds: 60 })))
      const refused = { actor: null, target: user.id, address: guesses[2]?.address, detail: "failed logins" }
      expect(yield* theOne(user.id, "throttled")).toEqual(refused)
      const asker = clientAt("198.51.100.50")
      const recovery = yield* PasswordRecovery
      yield* recovery.forgot(email(user.email), asker)
      expect((yield* Effect.either(recovery.forgot(email(user.email), asker)))._tag).toBe("Left")
      expect((yield* eventsFrom(asker, "throttled")).map(facts)).toEqual([
        { actor: null, target: null, address: asker.address, detail: "passwordForgot per account" },
      ])
    }),
  )

  it.effect("throttled: 20 refusals at once are still recorded once", () =>
    Effect.gen(function* () {
      const flood = clientAt("198.51.100.61")
      yield* Effect.all(
        Arr.makeBy(22, (n) => logIn(`nobody-number-${n}`, "a guess", flood)),
        { concurrency: "unbounded" },
      )
      expect(yield* eventsFrom(flood, "throttled")).toHaveLength(1)
    }),
  )
})
