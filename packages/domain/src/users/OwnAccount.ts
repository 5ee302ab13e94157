import { Effect, Option, type Redacted, Schema } from "effect"
import type { AuditEventId } from "../audit/AuditEvent.js"
import { AuditTrail } from "../audit/AuditTrail.js"
import { PresentedPassword } from "../auth/Accounts.js"
import type { Client } from "../auth/Client.js"
import { WrongPassword } from "../auth/errors.js"
import { Password, type PasswordHash } from "../auth/Password.js"
import { PasswordHasher } from "../auth/PasswordHasher.js"
import { PasswordPolicy, type PasswordRejected } from "../auth/PasswordPolicy.js"
import type { RateLimited } from "../limits/errors.js"
import { Limits } from "../limits/Limits.js"
import { MailDelivery } from "../mail/MailDelivery.js"
import type { SessionId } from "../sessions/Session.js"
import { traced } from "../Traced.js"
import { Transactions } from "../Transactions.js"
import { AccountEvents } from "./AccountEvents.js"
import {
  CurrentPasswordRequired,
  type EmailAlreadyRegistered,
  type LastActiveSuperuser,
  UserNotFound,
  type UsernameTaken,
} from "./errors.js"
import { AvatarUrl, Bio, Email, FullName, normalizeLogin, type User, Username } from "./User.js"
import { stamped, UserRepository } from "./UserRepository.js"

/** The fields of a profile that can change (by its owner, or a superuser). */
export const profileFields = {
  email: Schema.optionalWith(Email, { exact: true }),
  username: Schema.optionalWith(Username, { exact: true }),
  full_name: Schema.optionalWith(Schema.NullOr(FullName), { exact: true }),
  bio: Schema.optionalWith(Schema.NullOr(Bio), { exact: true }),
  avatar_url: Schema.optionalWith(Schema.NullOr(AvatarUrl), { exact: true }),
}

/**
 * What a user may change of their own profile; privileges and unknown fields are refused. A new
 * email needs the account's password too: whoever holds a stolen access token must not be able to
 * move the account to their own address (and from there reset the password).
 */
export const ProfileChanges = Schema.Struct({
  ...profileFields,
  current_password: Schema.optionalWith(PresentedPassword, { exact: true }),
}).annotations({ identifier: "ProfileChanges", parseOptions: { onExcessProperty: "error" } })
export type ProfileChanges = typeof ProfileChanges.Type

export const PasswordChange = Schema.Struct({
  current_password: PresentedPassword,
  new_password: Password,
}).annotations({ identifier: "PasswordChange", parseOptions: { onExcessProperty: "error" } })
export type PasswordChange = typeof PasswordChange.Type

/** What a signed-in user may do to their own account. */
export class OwnAccount extends Effect.Service<OwnAccount>()("userkit/OwnAccount", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const limits = yield* Limits
    const policy = yield* PasswordPolicy
    const audit = yield* AuditTrail
    const tx = yield* Transactions
    const follow = yield* AccountEvents
    const mail = yield* MailDelivery

    /**
     * The account's password, typed again to authorize a change: a wrong one is a failed guess at
     * it, counted as a failed login is, with no way past the wait (whoever holds a token, from
     * wherever, guesses at the same pace), so a stolen access token does not let its holder guess
     * the password at bcrypt's pace.
     */
    const proveOwnership = (
      actor: User,
      presented: Redacted.Redacted<string>,
      current: PasswordHash,
      client: Client | undefined,
    ): Effect.Effect<void, WrongPassword | RateLimited> =>
      Effect.gen(function* () {
        const subject = `password-change:${actor.id}`
        if (client !== undefined) yield* limits.claimGuess(subject, Option.none(), client)
        if (!(yield* hasher.verify(presented, current))) return yield* new WrongPassword()
        if (client !== undefined) yield* limits.guessed(subject, actor.id, client)
      })

    /**
     * The caller's own profile, changed; a new email or username must be free. Only the profile
     * fields sent are written, never a flag: an administrator's concurrent change stands.
     */
    const updateProfile = Effect.fnUntraced(function* (
      actor: User,
      changes: ProfileChanges,
      client?: Client,
    ): Effect.fn.Return<
      User,
      EmailAlreadyRegistered | UsernameTaken | UserNotFound | RateLimited | CurrentPasswordRequired | WrongPassword
    > {
      const { current_password, ...fields } = changes
      const update = yield* stamped(fields)
      if (fields.email === undefined) return yield* users.updateProfile(actor.id, update)
      const before = yield* users.findById(actor.id)
      if (Option.isNone(before)) return yield* new UserNotFound()
      if (normalizeLogin(fields.email) !== normalizeLogin(before.value.user.email)) {
        // Each change mails two addresses, and a taken address answers 409: both are counted.
        if (client !== undefined) yield* limits.fromAddress("emailChange", client)
        yield* limits.forAccount("emailChange", actor.id, client)
        if (current_password === undefined) return yield* new CurrentPasswordRequired()
        yield* proveOwnership(actor, current_password, before.value.passwordHash, client)
      }
      const [updated, messages] = yield* tx.atomically(
        Effect.gen(function* () {
          const updated = yield* users.updateProfile(actor.id, update)
          return [updated, yield* follow.emailChanged(before.value.user.email, updated, actor.id, client)] as const
        }),
      )
      yield* mail.dispatch(...messages)
      return updated
    }, traced("OwnAccount.updateProfile"))

    /**
     * A new password, authorized by the current one (the same answer whatever is wrong with it).
     * Stored only if the hash is still the one verified: of two changes racing with the same
     * current password, one wins and the other is told its current password is wrong. A wrong
     * current password is a failed guess at the account's password, counted as a failed login is:
     * a stolen access token does not let its holder guess the password at bcrypt's pace. Every
     * session but `keep` (the caller's own) ends: whoever else was signed in must prove it again.
     */
    const changePassword = Effect.fnUntraced(function* (
      actor: User,
      change: PasswordChange,
      client: Client,
      keep?: SessionId,
    ): Effect.fn.Return<void, WrongPassword | UserNotFound | PasswordRejected | RateLimited> {
      yield* limits.fromAddress("passwordChange", client)
      const stored = yield* users.findById(actor.id)
      if (Option.isNone(stored)) return yield* new UserNotFound()
      yield* policy.check(change.new_password, stored.value.user, "new_password")
      const current = stored.value.passwordHash
      yield* proveOwnership(actor, change.current_password, current, client)
      const next = yield* hasher.hash(change.new_password)
      yield* tx.atomically(
        Effect.gen(function* () {
          if (!(yield* users.replacePasswordHash(actor.id, current, next))) return yield* new WrongPassword()
          yield* follow.passwordChanged(actor.id, actor.id, client, { except: keep })
        }),
      )
    }, traced("OwnAccount.changePassword"))

    /** The caller's own account, deactivated: it can no longer log in, and its sessions end. */
    const deactivate = Effect.fnUntraced(function* (
      actor: User,
      client?: Client,
    ): Effect.fn.Return<void, LastActiveSuperuser | UserNotFound> {
      const standing = yield* stamped({ is_active: false })
      yield* tx.atomically(
        Effect.gen(function* () {
          yield* users.setStanding(actor.id, standing)
          yield* follow.deactivated(actor.id)
          yield* audit.record("account_deactivated", { actor: actor.id, target: actor.id, client })
        }),
      )
    }, traced("OwnAccount.deactivate"))

    /** The caller's own security events, newest first, a page at a time. */
    const events = (actor: User, page: { readonly before?: AuditEventId | undefined; readonly limit: number }) =>
      audit.page({ target: actor.id, before: page.before, limit: page.limit })

    return { updateProfile, changePassword, deactivate, events } satisfies Record<string, unknown>
  }),
}) {}
