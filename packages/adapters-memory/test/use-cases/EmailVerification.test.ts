import { describe, expect, it, layer } from "@effect/vitest"
import {
  AccountChanges,
  Administration,
  type Client,
  CurrentRecoveryRules,
  DEFAULT_RECOVERY_RULES,
  EmailAlreadyVerified,
  EmailNotVerified,
  EmailVerification,
  InvalidCredentials,
  MailUnavailable,
  OwnAccount,
  PasswordRecovery,
  RecoveryRules,
  Sessions,
  TokenExpired,
  TokenInvalid,
  TokenUsed,
  type User,
} from "@userkit/domain"
import { aClient } from "@userkit/domain/testing"
import {
  Array as Arr,
  DateTime,
  Effect,
  Either,
  Layer,
  Option,
  Redacted,
  Schema,
  TestClock,
  TestServices,
} from "effect"
import { MemoryDomain } from "../../src/index.js"
import { aMember, aSuperuser, TestDomain } from "../support/domain.js"
import {
  CHANGED_SUBJECT,
  capturingLogger,
  DomainWithoutMail,
  domainWithIssueHook,
  email,
  eventsAbout,
  linkIn,
  logIn,
  mailTo,
  profileChanges,
  RESET_SUBJECT,
  sentTo,
  storedUser,
  tokenIn,
  VERIFY_SUBJECT,
} from "../support/recovery.js"

const verify = (token: Redacted.Redacted<string>, client: Client = aClient) =>
  Effect.flatMap(EmailVerification, (verification) => Effect.either(verification.verify(token, client)))
const request = (actor: User, client: Client = aClient) =>
  Effect.flatMap(EmailVerification, (verification) => Effect.either(verification.request(actor, client)))
/** The next verification link mailed to `address`, as a token. */
const linkTo = (address: string) => Effect.map(mailTo(address, VERIFY_SUBJECT), (m) => tokenIn(m, "verify-email"))
const changeEmail = (actor: User, address: string, password = "member password") =>
  Effect.flatMap(OwnAccount, (own) =>
    own.updateProfile(actor, profileChanges({ email: address, current_password: password })),
  )
const current = (user: User) => Effect.map(storedUser(user.id), Option.getOrThrow)
/** A member who followed the link mailed on registration. */
const aVerifiedMember = Effect.gen(function* () {
  const user = yield* aMember()
  Either.getOrThrow(yield* verify(yield* linkTo(user.email)))
  return yield* current(user)
})

layer(TestDomain)("email verification", (it) => {
  it.effect(
    "register - mails a link to <publicUrl>/verify-email; it verifies the address at the clock's time, once",
    () =>
      Effect.gen(function* () {
        const user = yield* aMember()
        expect(user.email_verified).toBe(false)
        const message = yield* mailTo(user.email, VERIFY_SUBJECT)
        const link = linkIn(message, "verify-email")
        expect(link).toMatch(/^http:\/\/localhost:8000\/verify-email\?token=[A-Za-z0-9_-]{43}$/)
        expect(message.html).toContain(`<a href="${link}">`)
        yield* TestClock.adjust("5 minutes")
        expect(yield* verify(tokenIn(message, "verify-email"))).toEqual(Either.right(undefined))
        expect(yield* current(user)).toMatchObject({ email_verified: true, email_verified_at: yield* DateTime.now })
        expect(yield* verify(tokenIn(message, "verify-email"))).toEqual(Either.left(new TokenUsed()))
      }),
  )

  it.effect("verify - a link works for 24 hours, then is refused as expired; a made-up token is no link", () =>
    Effect.gen(function* () {
      const [early, late] = yield* Effect.all([aMember(), aMember()])
      const [earlyLink, lateLink] = yield* Effect.all([linkTo(early.email), linkTo(late.email)])
      yield* TestClock.adjust("1439 minutes")
      expect(yield* verify(earlyLink)).toEqual(Either.right(undefined))
      yield* TestClock.adjust("1 minute")
      expect(yield* verify(lateLink)).toEqual(Either.left(new TokenExpired()))
      expect((yield* current(late)).email_verified).toBe(false)
      for (const garbage of ["", "garbage", "A".repeat(43)]) {
        expect(yield* verify(Redacted.make(garbage))).toEqual(Either.left(new TokenInvalid()))
      }
    }),
  )

  it.effect("request - mails a new link, which voids the one before; refused once the address is verified", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      const first = yield* linkTo(user.email)
      expect(yield* request(user)).toEqual(Either.right(undefined))
      const second = yield* linkTo(user.email)
      expect(yield* verify(first)).toEqual(Either.left(new TokenInvalid()))
      expect(yield* verify(second)).toEqual(Either.right(undefined))
      expect(yield* request(yield* current(user))).toEqual(Either.left(new EmailAlreadyVerified()))
    }),
  )

  it.effect("an email change unverifies the account, tells the old address, and mails the new one a link", () =>
    Effect.gen(function* () {
      const me = yield* aVerifiedMember
      const moved = `moved-${me.email}`
      const updated = yield* changeEmail(me, moved)
      expect(updated).toMatchObject({ email: moved, email_verified: false, email_verified_at: null })
      const notice = yield* mailTo(me.email, CHANGED_SUBJECT)
      expect(notice.text).toContain(`from ${me.email} to ${moved}`)
      expect(notice.text).not.toContain("token=")
      expect(yield* verify(yield* linkTo(moved))).toEqual(Either.right(undefined))
      expect(yield* current(me)).toMatchObject({ email: moved, email_verified: true })
    }),
  )

  it.effect("a link mailed to the old address before a change no longer verifies", () =>
    Effect.gen(function* () {
      const me = yield* aMember()
      const toOldAddress = yield* linkTo(me.email)
      yield* changeEmail(me, `moved-${me.email}`)
      expect(yield* verify(toOldAddress)).toEqual(Either.left(new TokenInvalid()))
      expect((yield* current(me)).email_verified).toBe(false)
    }),
  )

  it.effect("a change of the address's case only keeps it verified and sends nothing", () =>
    Effect.gen(function* () {
      const me = yield* aVerifiedMember
      const updated = yield* changeEmail(me, me.email.toUpperCase())
      expect(updated).toMatchObject({ email: me.email.toUpperCase(), email_verified: true })
      // A message sent after it arrives: whatever the change had sent would be there before it.
      yield* (yield* PasswordRecovery).forgot(email(me.email), aClient)
      yield* mailTo(me.email, RESET_SUBJECT)
      expect((yield* sentTo(me.email)).map((m) => m.subject)).toEqual([VERIFY_SUBJECT, RESET_SUBJECT])
      expect(yield* eventsAbout(me.id, "email_changed")).toEqual([])
    }),
  )

  it.effect("an administrator's email_verified: true verifies the address at the clock's time, recorded", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      const member = yield* aMember()
      yield* TestClock.adjust("1 hour")
      const updated = yield* (yield* Administration).update(
        root,
        member.id,
        Schema.decodeUnknownSync(AccountChanges)({ email_verified: true }),
        aClient,
      )
      expect(updated).toMatchObject({ email_verified: true, email_verified_at: yield* DateTime.now })
      const events = yield* eventsAbout(member.id, "email_verified")
      expect(events.map((e) => [e.actor, e.target, e.address])).toEqual([[root.id, member.id, aClient.address]])
    }),
  )

  it.effect(
    "verify - 20 fibers following one link at once: exactly one verifies, the others are told it was used",
    () =>
      Effect.gen(function* () {
        const user = yield* aMember()
        const token = yield* linkTo(user.email)
        const answers = yield* Effect.all(Arr.replicate(verify(token), 20), { concurrency: "unbounded" })
        expect(answers.filter(Either.isRight)).toHaveLength(1)
        expect(answers.filter(Either.isLeft)).toEqual(Arr.replicate(Either.left(new TokenUsed()), 19))
        expect(yield* eventsAbout(user.id, "email_verified")).toHaveLength(1)
      }),
  )

  it.effect("request - of 20 concurrent requests, exactly one of the links mailed works", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      yield* linkTo(user.email)
      yield* Effect.all(Arr.replicate(request(user), 20), { concurrency: "unbounded" })
      const tokens = yield* Effect.all(Arr.replicate(linkTo(user.email), 20))
      const answers = yield* Effect.forEach(tokens, (token) => verify(token))
      expect(answers.filter(Either.isRight)).toHaveLength(1)
      expect(answers.filter(Either.isLeft)).toEqual(Arr.replicate(Either.left(new TokenInvalid()), 19))
    }),
  )
})

const Races = domainWithIssueHook()

layer(Races.layer)("email verification - races", (it) => {
  it.effect("a request racing an email change: the link it mails to the address left verifies nothing", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      yield* linkTo(user.email)
      const moved = `moved-${user.email}`
      // The change lands after the request read the account, before the request's link is stored.
      yield* Races.beforeNextIssue(Effect.provideService(changeEmail(user, moved), OwnAccount, yield* OwnAccount))
      expect(yield* request(user)).toEqual(Either.right(undefined))
      expect(yield* verify(yield* linkTo(user.email))).toEqual(Either.left(new TokenInvalid()))
      expect(yield* current(user)).toMatchObject({ email: moved, email_verified: false })
    }),
  )
})

const publicUrl = new URL("https://accounts.example.com/app")
const RequiringVerification = MemoryDomain.layer.pipe(
  Layer.provide(
    Layer.succeed(
      CurrentRecoveryRules,
      new RecoveryRules({ ...DEFAULT_RECOVERY_RULES, publicUrl, requireVerifiedEmail: true }),
    ),
  ),
)

layer(RequiringVerification)("email verification - REQUIRE_EMAIL_VERIFICATION", (it) => {
  it.effect("login - refuses an unverified account after the right password; a wrong one is still wrong", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      const message = yield* mailTo(user.email, VERIFY_SUBJECT)
      expect(linkIn(message, "verify-email")).toMatch(/^https:\/\/accounts\.example\.com\/app\/verify-email\?token=/)
      expect(yield* logIn(user.username, "member password", aClient)).toEqual(Either.left(new EmailNotVerified()))
      expect(yield* logIn(user.username, "a wrong password", aClient)).toEqual(Either.left(new InvalidCredentials()))
      // The refused login (right password) mailed a new link, which voided the first.
      const again = yield* mailTo(user.email, VERIFY_SUBJECT)
      expect(tokenIn(again, "verify-email")).not.toBe(tokenIn(message, "verify-email"))
      expect(yield* verify(tokenIn(message, "verify-email"))).toEqual(Either.left(new TokenInvalid()))
      expect(yield* verify(tokenIn(again, "verify-email"))).toEqual(Either.right(undefined))
      expect(Either.isRight(yield* logIn(user.username, "member password", aClient))).toBe(true)
    }),
  )

  it.effect("an address a superuser vouched for logs in at once; a session whose address changes cannot refresh", () =>
    Effect.gen(function* () {
      const root = yield* aSuperuser
      const signedIn = Either.getOrThrow(yield* logIn(root.username, "root password", aClient))
      yield* changeEmail(root, `moved-${root.email}`, "root password")
      const refreshed = yield* Effect.either((yield* Sessions).refresh(signedIn.refreshToken, aClient))
      expect(refreshed).toEqual(Either.left(new EmailNotVerified()))
      expect(yield* verify(yield* linkTo(`moved-${root.email}`))).toEqual(Either.right(undefined))
      expect(Either.isRight(yield* logIn(root.username, "root password", aClient))).toBe(true)
    }),
  )
})

describe("email verification - no mailer", () => {
  it.effect("register still opens the account; request fails MailUnavailable", () =>
    Effect.gen(function* () {
      const user = yield* aMember()
      expect(yield* eventsAbout(user.id, "email_verification_requested")).toEqual([])
      expect(yield* request(user)).toEqual(Either.left(new MailUnavailable()))
      expect(Either.isRight(yield* logIn(user.username, "member password", aClient))).toBe(true)
    }).pipe(Effect.provide(DomainWithoutMail)),
  )

  it.effect("an email change sends nothing and logs no failed send: there is nothing to send with", () => {
    const { lines, logger } = capturingLogger()
    return Effect.gen(function* () {
      const user = yield* aMember()
      const moved = yield* changeEmail(user, `moved-${user.email}`)
      expect(moved.email_verified).toBe(false)
      // Whatever was started in the background has had time to fail and say so.
      yield* TestServices.provideLive(Effect.sleep("50 millis"))
      expect(lines.filter((line) => line.includes("mail"))).toEqual([])
    }).pipe(Effect.provide(Layer.merge(DomainWithoutMail, logger)))
  })
})
