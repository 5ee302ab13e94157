import {
  Accounts,
  AccountTokenStore,
  type AuditEvent,
  type AuditEventType,
  AuditLog,
  type Client,
  Credentials,
  Email,
  Limits,
  Mailer,
  type MailMessage,
  PasswordChange,
  PasswordPolicy,
  ProfileChanges,
  Sessions,
  type SignedIn,
  UseCases,
  type UserId,
  UserRepository,
} from "@userkit/domain"
import { Array as Arr, Effect, Either, Layer, Logger, Option, Redacted, Ref, Schema, TestServices } from "effect"
import { MemoryAdapters, MemoryMailer } from "../../src/index.js"

/** The subjects of the messages the recovery use cases send. */
export const RESET_SUBJECT = "Reset your password"
export const VERIFY_SUBJECT = "Confirm your email address"
export const CHANGED_SUBJECT = "Your email address was changed"

export const email = Schema.decodeSync(Email)

/** The link in a message's text, to `page` under the public URL. */
export const linkIn = (message: MailMessage, page: "reset-password" | "verify-email"): string => {
  const found = message.text.match(new RegExp(`\\S+/${page}\\?token=\\S+`))
  if (found === null) throw new Error(`no ${page} link in ${JSON.stringify(message.text)}`)
  return found[0]
}

/** The token a message's link carries, as a client would present it. */
export const tokenIn = (message: MailMessage, page: "reset-password" | "verify-email") =>
  Redacted.make(new URL(linkIn(message, page)).searchParams.get("token") ?? "")

/**
 * The next message to `to` (with `subject`, when given) not taken yet, waiting for it to be sent:
 * for 5 seconds of real time (the TestClock may stand still), then the test fails saying which.
 */
export const mailTo = (to: string, subject?: string) =>
  Effect.flatMap(MemoryMailer.MemoryMailbox, (mailbox) =>
    Effect.raceFirst(
      mailbox.take((m) => m.to.toLowerCase() === to.toLowerCase() && (subject === undefined || m.subject === subject)),
      Effect.zipRight(
        TestServices.provideLive(Effect.sleep("5 seconds")),
        Effect.dieMessage(`no message to ${to}${subject === undefined ? "" : ` ("${subject}")`} was sent`),
      ),
    ),
  )

/** Every message sent so far to `to`, ignoring case, oldest first. */
export const sentTo = (to: string) =>
  Effect.map(
    Effect.flatMap(MemoryMailer.MemoryMailbox, (mailbox) => mailbox.messages),
    Arr.filter((m) => m.to.toLowerCase() === to.toLowerCase()),
  )

/** The audit events about `target` (of `type`, when given), newest first, read from the port. */
export const eventsAbout = (target: UserId, type?: AuditEventType) =>
  Effect.flatMap(AuditLog, (log) => log.list({ target, types: type === undefined ? undefined : [type], limit: 1000 }))

/** What an event says, but its id and time. */
export const facts = (e: AuditEvent) => ({ actor: e.actor, target: e.target, address: e.address, detail: e.detail })

/** What the one event of `type` about `target` says; exactly one must have been recorded. */
export const theOne = (target: UserId, type: AuditEventType) =>
  Effect.flatMap(eventsAbout(target, type), (events) =>
    events.length === 1 && events[0] !== undefined
      ? Effect.succeed(facts(events[0]))
      : Effect.dieMessage(`expected one ${type} event, found ${events.length}`),
  )

/** Every audit event recorded, newest first, read from the port. */
export const allEvents = Effect.flatMap(AuditLog, (log) => log.list({ limit: 100_000 }))

/** The events of `type` recorded from `client`'s address. */
export const eventsFrom = (client: Client, type: AuditEventType) =>
  Effect.map(
    allEvents,
    Arr.filter((e: AuditEvent) => e.type === type && e.address === client.address),
  )

/** A login with these credentials, its outcome as an Either. */
export const logIn = (login: string, password: string, client: Client) =>
  Effect.flatMap(Accounts, (accounts) =>
    Effect.either(accounts.login(Schema.decodeUnknownSync(Credentials)({ login, password }), client)),
  )

/** A session opened with these credentials; the test fails if the login does. */
export const signIn = (login: string, password: string, client: Client) =>
  Effect.map(logIn(login, password, client), Either.getOrThrow)

/** Who a session's access token speaks for. */
export const callerOf = (signedIn: SignedIn) =>
  Effect.flatMap(Sessions, (sessions) => sessions.authenticate(signedIn.accessToken))

export const passwordChange = (current: string, next: string) =>
  Schema.decodeUnknownSync(PasswordChange)({ current_password: current, new_password: next })
export const profileChanges = Schema.decodeUnknownSync(ProfileChanges)

/** Whether a login with these credentials succeeds. */
export const canLogIn = (login: string, password: string, client: Client) =>
  Effect.map(logIn(login, password, client), Either.isRight)

/** The user as stored now. */
export const storedUser = (id: UserId) =>
  Effect.map(
    Effect.flatMap(UserRepository, (users) => users.findById(id)),
    Option.map((stored) => stored.user),
  )

/** A logger that keeps every line (logfmt, cause included) in `lines`, to check what a log leaks. */
export const capturingLogger = () => {
  const lines: Array<string> = []
  const logger = Logger.add(Logger.map(Logger.logfmtLogger, (line) => lines.push(line)))
  return { lines, logger }
}

/** Polls `check` in real time (the TestClock stands still) until it holds, for up to 5 seconds. */
export const eventually = <E, R>(check: Effect.Effect<boolean, E, R>) =>
  Effect.gen(function* () {
    for (let tries = 0; tries < 5000; tries++) {
      if (yield* check) return
      yield* TestServices.provideLive(Effect.sleep("1 millis"))
    }
    return yield* Effect.dieMessage("eventually: the condition never held")
  })

/**
 * The whole domain in memory, with a hook run (once) just before the next emailed token is
 * stored: to land a write between a use case's lookup of an account and the link it issues.
 */
export const domainWithIssueHook = () => {
  const hook = Effect.runSync(Ref.make<Effect.Effect<void>>(Effect.void))
  const HookedStore = Layer.effect(
    AccountTokenStore,
    Effect.map(AccountTokenStore, (store) =>
      AccountTokenStore.of({
        ...store,
        issue: (token) => Effect.zipRight(Effect.flatten(Ref.getAndSet(hook, Effect.void)), store.issue(token)),
      }),
    ),
  )
  return {
    layer: UseCases.layer.pipe(
      Layer.provide(HookedStore),
      Layer.provideMerge(Layer.mergeAll(MemoryAdapters.layer, Limits.unlimited, PasswordPolicy.layer())),
    ),
    beforeNextIssue: <E>(effect: Effect.Effect<unknown, E>) => Ref.set(hook, Effect.asVoid(Effect.orDie(effect))),
  }
}

/** The whole domain in memory on a deployment that cannot send mail (no SMTP_URL). */
export const DomainWithoutMail = UseCases.layer.pipe(
  Layer.provide(Mailer.unconfigured),
  Layer.provideMerge(Layer.mergeAll(MemoryAdapters.layer, Limits.unlimited, PasswordPolicy.layer())),
)
