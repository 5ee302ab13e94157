import { describe, expect, it, layer } from "@effect/vitest"
import {
  AccountChanges,
  Administration,
  type Client,
  clientAt,
  InvalidRefreshToken,
  InvalidToken,
  MailUnavailable,
  OwnAccount,
  PasswordRecovery,
  Sessions,
  TokenExpired,
  TokenInvalid,
  TokenUsed,
} from "@userkit/domain"
import { aClient } from "@userkit/domain/testing"
import { Array as Arr, DateTime, Effect, Either, Option, Redacted, Schema, TestClock } from "effect"
import { MemoryMailer } from "../../src/index.js"
import { aMember, aSuperuser, TestDomain } from "../support/domain.js"
import {
  canLogIn,
  capturingLogger,
  DomainWithoutMail,
  domainWithIssueHook,
  email,
  eventually,
  linkIn,
  logIn,
  mailTo,
  passwordChange,
  profileChanges,
  RESET_SUBJECT,
  sentTo,
  storedUser,
  tokenIn,
} from "../support/recovery.js"

const laptop = clientAt("192.0.2.1", "Firefox on the laptop")

const forgot = (address: string, client: Client = aClient) =>
  Effect.flatMap(PasswordRecovery, (recovery) => recovery.forgot(email(address), client))
const reset = (token: Redacted.Redacted<string>, password: string, client: Client = aClient) =>
  Effect.flatMap(PasswordRecovery, (recovery) => Effect.either(recovery.reset(token, Redacted.make(password), client)))
/** The next reset link mailed to `address`, as a token. */
const resetTokenFor = (address: string) =>
  Effect.map(mailTo(address, RESET_SUBJECT), (m) => tokenIn(m, "reset-password"))
/** A member who asked for a reset link, and the token it carries. */
const aMemberWithALink = Effect.gen(function* () {
  const user = yield* aMember()
  yield* forgot(user.email)
  return { user, token: yield* resetTokenFor(user.email) }
})
/** Why an answer was a refusal (its error's tag), if it was one. */
const refusal = (answer: Either.Either<unknown, { readonly _tag: string }>) =>
  Option.map(Either.getLeft(answer), (error) => error._tag)
const resets = (messages: ReadonlyArray<{ readonly subject: string }>) =>
  messages.filter((m) => m.subject === RESET_SUBJECT)

layer(TestDomain)("password recovery", (it) => {
  it.effect("forgot - mails an active account one message whose text and html link to <publicUrl>/reset-password", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      expect(yield* forgot(user.email)).toBeUndefined()
      const message = yield* mailTo(user.email, RESET_SUBJECT)
      const link = linkIn(message, "reset-password")
      expect(link).toMatch(/^http:\/\/localhost:8000\/reset-password\?token=[A-Za-z0-9_-]{43}$/)
      expect(message.html).toContain(`<a href="${link}">`)
      expect(resets(yield* sentTo(user.email))).toHaveLength(1)
    }),
  )

  it.effect("reset - sets the password, ends every session, verifies the address, and works once", () =>
    Effect.gen(function* () {
      const sessions = yield* Sessions
      const { user, token } = yield* aMemberWithALink
      const before = Either.getOrThrow(yield* logIn(user.username, "member password", laptop))
      yield* TestClock.adjust("10 minutes")
      expect(yield* reset(token, "a brand new password")).toEqual(Either.right(undefined))

      expect(yield* canLogIn(user.username, "a brand new password", laptop)).toBe(true)
      expect(yield* canLogIn(user.username, "member password", laptop)).toBe(false)
      expect(yield* Effect.either(sessions.authenticate(before.accessToken))).toEqual(Either.left(new InvalidToken()))
      expect(yield* Effect.either(sessions.refresh(before.refreshToken, laptop))).toEqual(
        Either.left(new InvalidRefreshToken()),
      )
      const verified = Option.getOrThrow(yield* storedUser(user.id))
      expect(verified.email_verified).toBe(true)
      expect(verified.email_verified_at).toEqual(yield* DateTime.now)
      expect(yield* reset(token, "yet another password")).toEqual(Either.left(new TokenUsed()))
      expect(yield* canLogIn(user.username, "a brand new password", laptop)).toBe(true)
    }),
  )

  it.effect("reset - a link works for an hour, then is refused as expired", () =>
    Effect.gen(function* () {
      const { user, token } = yield* aMemberWithALink
      yield* TestClock.adjust("59 minutes")
      // Refused for its password, so the link was still good.
      expect(refusal(yield* reset(token, "short"))).toEqual(Option.some("PasswordRejected"))
      yield* TestClock.adjust("1 minute")
      expect(yield* reset(token, "a brand new password")).toEqual(Either.left(new TokenExpired()))
      expect(yield* canLogIn(user.username, "member password", laptop)).toBe(true)
    }),
  )

  it.effect("reset - a newer request voids the older link; a made-up token is no link", () =>
    Effect.gen(function* () {
      const { user, token: older } = yield* aMemberWithALink
      yield* forgot(user.email)
      const newer = yield* resetTokenFor(user.email)
      expect(yield* reset(older, "a brand new password")).toEqual(Either.left(new TokenInvalid()))
      for (const garbage of ["", "garbage", "A".repeat(43), `${Redacted.value(newer)}x`, "a".repeat(10_000)]) {
        expect(yield* reset(Redacted.make(garbage), "a brand new password")).toEqual(Either.left(new TokenInvalid()))
      }
      expect(yield* reset(newer, "a brand new password")).toEqual(Either.right(undefined))
    }),
  )

  it.effect("reset - a password the policy refuses (too short, the email) leaves the link working", () =>
    Effect.gen(function* () {
      const { user, token } = yield* aMemberWithALink
      for (const refused of ["short", user.email, user.email.toUpperCase()]) {
        expect(refusal(yield* reset(token, refused))).toEqual(Option.some("PasswordRejected"))
      }
      expect(yield* canLogIn(user.username, "member password", laptop)).toBe(true)
      expect(yield* reset(token, "a brand new password")).toEqual(Either.right(undefined))
    }),
  )

  it.effect("forgot - an unknown address and an inactive account are sent nothing, and answered the same", () =>
    Effect.gen(function* () {
      const inactive = yield* aMember()
      yield* (yield* OwnAccount).deactivate(inactive)
      const unknown = "nobody-at-all@example.com"
      expect(yield* Effect.either(forgot(unknown))).toEqual(Either.right(undefined))
      expect(yield* Effect.either(forgot(inactive.email))).toEqual(Either.right(undefined))
      // A request made after them, answered: the background work of the two before it is done.
      const active = yield* aMember()
      yield* forgot(active.email)
      yield* mailTo(active.email, RESET_SUBJECT)
      expect(yield* sentTo(unknown)).toEqual([])
      expect(resets(yield* sentTo(inactive.email))).toEqual([])
    }),
  )

  it.effect("reset - a link is void once the password or the address changes, or the account is deactivated", () =>
    Effect.gen(function* () {
      const own = yield* OwnAccount
      const admin = yield* Administration
      const root = yield* aSuperuser
      const changes = Schema.decodeUnknownSync(AccountChanges)

      const changedPassword = yield* aMemberWithALink
      const change = passwordChange("member password", "changed by its owner")
      yield* own.changePassword(changedPassword.user, change, aClient)
      expect(yield* reset(changedPassword.token, "a brand new password")).toEqual(Either.left(new TokenInvalid()))

      const resetByAdmin = yield* aMemberWithALink
      yield* admin.update(root, resetByAdmin.user.id, changes({ password: "set by the admin" }))
      expect(yield* reset(resetByAdmin.token, "a brand new password")).toEqual(Either.left(new TokenInvalid()))

      const movedAway = yield* aMemberWithALink
      const profile = profileChanges({ email: `moved-${movedAway.user.email}`, current_password: "member password" })
      yield* own.updateProfile(movedAway.user, profile)
      expect(yield* reset(movedAway.token, "a brand new password")).toEqual(Either.left(new TokenInvalid()))

      const movedByAdmin = yield* aMemberWithALink
      yield* admin.update(root, movedByAdmin.user.id, changes({ email: `admin-moved-${movedByAdmin.user.email}` }))
      expect(yield* reset(movedByAdmin.token, "a brand new password")).toEqual(Either.left(new TokenInvalid()))

      const deactivated = yield* aMemberWithALink
      yield* own.deactivate(deactivated.user)
      expect(yield* reset(deactivated.token, "a brand new password")).toEqual(Either.left(new TokenInvalid()))

      // Activated again: the link of before does not come back to life.
      const suspended = yield* aMemberWithALink
      yield* admin.update(root, suspended.user.id, changes({ is_active: false }))
      yield* admin.update(root, suspended.user.id, changes({ is_active: true }))
      expect(yield* reset(suspended.token, "a brand new password")).toEqual(Either.left(new TokenInvalid()))
    }),
  )

  it.effect("reset - 20 fibers presenting one link at once: exactly one resets, the others are told it was used", () =>
    Effect.gen(function* () {
      const { user, token } = yield* aMemberWithALink
      const passwords = Arr.makeBy(20, (i) => `new password number ${i}`)
      const answers = yield* Effect.all(
        passwords.map((password) => reset(token, password)),
        { concurrency: "unbounded" },
      )
      const won = passwords.filter((_, i) => Either.isRight(answers[i] ?? Either.left(null)))
      expect(won).toHaveLength(1)
      expect(answers.filter(Either.isLeft)).toEqual(Arr.replicate(Either.left(new TokenUsed()), 19))
      expect(yield* canLogIn(user.username, won[0] ?? "", laptop)).toBe(true)
    }),
  )

  it.effect("forgot - of 20 concurrent requests for one account, exactly one of the links mailed works", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      yield* Effect.all(Arr.replicate(forgot(user.email), 20), { concurrency: "unbounded" })
      const tokens = yield* Effect.all(Arr.replicate(resetTokenFor(user.email), 20))
      const answers = yield* Effect.forEach(tokens, (token) => reset(token, "a brand new password"))
      expect(answers.filter(Either.isRight)).toHaveLength(1)
      expect(answers.filter(Either.isLeft)).toEqual(Arr.replicate(Either.left(new TokenInvalid()), 19))
    }),
  )
})

const Races = domainWithIssueHook()

layer(Races.layer)("password recovery - races", (it) => {
  it.effect("forgot racing an email change: the link mailed to the address left does not reset the password", () =>
    Effect.gen(function* () {
      const own = yield* OwnAccount
      const user = yield* aMember()
      const moved = `moved-${user.email}`
      // The change lands after the request looked the account up, before the request's link is stored.
      yield* Races.beforeNextIssue(
        own.updateProfile(user, profileChanges({ email: moved, current_password: "member password" })),
      )
      yield* forgot(user.email)
      const token = yield* resetTokenFor(user.email)
      expect(Option.map(yield* storedUser(user.id), (u) => u.email)).toEqual(Option.some(moved))
      expect(yield* reset(token, "a brand new password")).toEqual(Either.left(new TokenInvalid()))
      expect(yield* canLogIn(user.username, "member password", laptop)).toBe(true)
    }),
  )
})

// Each in a world of its own: the mailbox's failures, the clock's sleeps and the log are this test's alone.
describe("password recovery - mail", () => {
  it.effect("forgot - fails MailUnavailable when no mailer is configured", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      expect(yield* Effect.either(forgot(user.email))).toEqual(Either.left(new MailUnavailable()))
      expect(yield* Effect.either(forgot("nobody-at-all@example.com"))).toEqual(Either.left(new MailUnavailable()))
    }).pipe(Effect.provide(DomainWithoutMail)),
  )

  it.effect("forgot - answers at once when the mailer fails, and the message arrives on the retry 2 s later", () =>
    Effect.gen(function* () {
      const mailbox = yield* MemoryMailer.MemoryMailbox
      const user = yield* aMember()
      yield* mailTo(user.email)
      yield* mailbox.failNext(1, false)
      expect(yield* forgot(user.email)).toBeUndefined()
      yield* eventually(Effect.map(TestClock.sleeps(), (sleeps) => sleeps.length > 0))
      yield* TestClock.adjust("1 second")
      expect(resets(yield* sentTo(user.email))).toEqual([])
      yield* TestClock.adjust("1 second")
      const message = yield* mailTo(user.email, RESET_SUBJECT)
      expect(yield* reset(tokenIn(message, "reset-password"), "a brand new password")).toEqual(Either.right(undefined))
    }).pipe(Effect.provide(TestDomain)),
  )

  it.effect("forgot - a permanent failure is not retried, and is logged without the link", () => {
    const { lines, logger } = capturingLogger()
    return Effect.gen(function* () {
      const mailbox = yield* MemoryMailer.MemoryMailbox
      const user = yield* aMember()
      yield* mailTo(user.email)
      yield* mailbox.failNext(1, true)
      yield* forgot(user.email)
      const notSent = `mail to ${user.email} (\\"${RESET_SUBJECT}\\") not sent`
      yield* eventually(Effect.sync(() => lines.some((line) => line.includes(notSent))))
      expect(Array.from(yield* TestClock.sleeps())).toEqual([])
      yield* TestClock.adjust("2 minutes")
      expect(resets(yield* sentTo(user.email))).toEqual([])
      expect(lines.filter((line) => line.includes(notSent))).toHaveLength(1)
      // Said once: no second line for the same failure.
      expect(lines.filter((line) => line.includes("failed"))).toEqual([])
      for (const line of lines) {
        expect(line).not.toMatch(/token|reset-password|Hello/)
      }
    }).pipe(Effect.provide(TestDomain), Effect.provide(logger))
  })
})
