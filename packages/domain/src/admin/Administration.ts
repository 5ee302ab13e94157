import { DateTime, Effect, Option, Schema } from "effect"
import type { AuditEventType } from "../audit/AuditEvent.js"
import type { AuditQuery } from "../audit/AuditLog.js"
import { type AuditPage, AuditTrail } from "../audit/AuditTrail.js"
import { Registration } from "../auth/Accounts.js"
import type { Client } from "../auth/Client.js"
import { Password } from "../auth/Password.js"
import { PasswordHasher } from "../auth/PasswordHasher.js"
import { PasswordPolicy, type PasswordRejected } from "../auth/PasswordPolicy.js"
import { MailDelivery } from "../mail/MailDelivery.js"
import { EmailVerification } from "../recovery/EmailVerification.js"
import { SessionNotFound } from "../sessions/errors.js"
import type { Session, SessionId } from "../sessions/Session.js"
import { SessionStore } from "../sessions/SessionStore.js"
import { traced } from "../Traced.js"
import { Transactions } from "../Transactions.js"
import { AccountEvents } from "../users/AccountEvents.js"
import {
  type EmailAlreadyRegistered,
  Forbidden,
  type LastActiveSuperuser,
  UserNotFound,
  type UsernameTaken,
} from "../users/errors.js"
import { type ListingPage, type ListingRequest, listUsers, type PageTooDeep } from "../users/Listing.js"
import { profileFields } from "../users/OwnAccount.js"
import { Email, generateUserId, User, type UserId, Username } from "../users/User.js"
import { stamped, UserRepository } from "../users/UserRepository.js"

/** An account a superuser opens, privileges included. */
export const NewAccount = Schema.Struct({
  ...Registration.fields,
  is_active: Schema.optionalWith(Schema.Boolean, { default: () => true }),
  is_superuser: Schema.optionalWith(Schema.Boolean, { default: () => false }),
  /** A superuser may vouch for the address (it is then not mailed a link). */
  email_verified: Schema.optionalWith(Schema.Boolean, { default: () => false }),
}).annotations({ identifier: "NewAccount", parseOptions: { onExcessProperty: "error" } })
export type NewAccount = typeof NewAccount.Type

/** What a superuser may change of any account: profile, standing, and a new password. */
export const AccountChanges = Schema.Struct({
  ...profileFields,
  is_active: Schema.optionalWith(Schema.Boolean, { exact: true }),
  is_superuser: Schema.optionalWith(Schema.Boolean, { exact: true }),
  email_verified: Schema.optionalWith(Schema.Boolean, { exact: true }),
  password: Schema.optionalWith(Password, { exact: true }),
}).annotations({ identifier: "AccountChanges", parseOptions: { onExcessProperty: "error" } })
export type AccountChanges = typeof AccountChanges.Type

/** The first superuser, made by an operator (the CLI), not through the API. */
export const NewSuperuser = Schema.Struct({ email: Email, username: Username, password: Password }).annotations({
  identifier: "NewSuperuser",
})
export type NewSuperuser = typeof NewSuperuser.Type

/** Which events a superuser reads: the audit log's query, the account acted on named `userId`. */
export type AuditFilter = Omit<AuditQuery, "target"> & { readonly userId?: UserId | undefined }

/** The events that record a change of standing (deactivated, promoted, ...), from `before` to `after`. */
const standingEvents = (before: User, after: User): ReadonlyArray<AuditEventType> => [
  ...(before.is_active && !after.is_active ? (["account_deactivated"] as const) : []),
  ...(!before.is_active && after.is_active ? (["account_activated"] as const) : []),
  ...(!before.is_superuser && after.is_superuser ? (["promoted"] as const) : []),
  ...(before.is_superuser && !after.is_superuser ? (["demoted"] as const) : []),
  ...(!before.email_verified && after.email_verified ? (["email_verified"] as const) : []),
]

/** What only superusers may do. Every method checks the actor first. */
export class Administration extends Effect.Service<Administration>()("userkit/Administration", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const policy = yield* PasswordPolicy
    const sessions = yield* SessionStore
    const audit = yield* AuditTrail
    const tx = yield* Transactions
    const follow = yield* AccountEvents
    const verification = yield* EmailVerification
    const mail = yield* MailDelivery

    const requireSuperuser = (actor: User): Effect.Effect<void, Forbidden> =>
      actor.is_superuser && actor.is_active ? Effect.void : Effect.fail(new Forbidden())

    const open = Effect.fnUntraced(function* (input: NewAccount, actor: User | null, client: Client | undefined) {
      const now = yield* DateTime.now
      const { password, ...fields } = input
      yield* policy.check(password, fields, "password")
      const user = new User({
        ...fields,
        id: yield* generateUserId,
        email_verified_at: fields.email_verified ? now : null,
        created_at: now,
        updated_at: now,
      })
      const passwordHash = yield* hasher.hash(password)
      const messages = yield* tx.atomically(
        Effect.gen(function* () {
          yield* users.insert({ user, passwordHash })
          yield* audit.record("registered", { actor: actor?.id ?? null, target: user.id, client })
          return user.email_verified ? [] : yield* verification.linkFor(user, client, actor?.id ?? null)
        }),
      )
      yield* mail.dispatch(...messages)
      return user
    }, traced("Administration.open"))

    const find = (id: UserId) =>
      Effect.flatMap(users.findById(id), Option.match({ onNone: () => new UserNotFound(), onSome: Effect.succeed }))

    return {
      requireSuperuser,
      /** Every account, inactive ones too, searchable by email as well. */
      list: Effect.fnUntraced(function* (
        actor: User,
        request: ListingRequest,
      ): Effect.fn.Return<ListingPage<User>, Forbidden | PageTooDeep> {
        yield* requireSuperuser(actor)
        return yield* listUsers(users, request, { searchIn: ["email", "username", "full_name"], onlyActive: false })
      }, traced("Administration.list")),
      get: Effect.fnUntraced(function* (actor: User, id: UserId): Effect.fn.Return<User, Forbidden | UserNotFound> {
        yield* requireSuperuser(actor)
        return (yield* find(id)).user
      }, traced("Administration.get")),
      create: Effect.fnUntraced(function* (
        actor: User,
        input: NewAccount,
        client?: Client,
      ): Effect.fn.Return<User, Forbidden | EmailAlreadyRegistered | UsernameTaken | PasswordRejected> {
        yield* requireSuperuser(actor)
        return yield* open(input, actor, client)
      }, traced("Administration.create")),
      update: Effect.fnUntraced(function* (
        actor: User,
        id: UserId,
        changes: AccountChanges,
        client?: Client,
      ): Effect.fn.Return<
        User,
        Forbidden | UserNotFound | EmailAlreadyRegistered | UsernameTaken | LastActiveSuperuser | PasswordRejected
      > {
        yield* requireSuperuser(actor)
        const { password, ...fields } = changes
        const { user: before } = yield* find(id)
        if (password !== undefined) {
          // Checked against who the account will be: the email and username this change leaves it.
          yield* policy.check(
            password,
            { email: fields.email ?? before.email, username: fields.username ?? before.username },
            "password",
          )
        }
        // Hashed first: a slow hash must not sit in the transaction.
        const passwordHash = password === undefined ? undefined : yield* hasher.hash(password)
        const about = { actor: actor.id, target: id, client }
        const [updated, messages] = yield* tx.atomically(
          Effect.gen(function* () {
            const updated = yield* users.update(id, yield* stamped(fields))
            if (passwordHash !== undefined) {
              yield* users.setPasswordHash(id, passwordHash)
              yield* follow.passwordChanged(id, actor.id, client)
            }
            // A deactivation or a demotion ends every session the account had; a deactivation voids
            // its reset links too (a later activation must not revive them).
            if (fields.is_active === false) yield* follow.deactivated(id)
            else if (fields.is_superuser === false) yield* sessions.revokeAll(id)
            yield* Effect.forEach(standingEvents(before, updated), (type) => audit.record(type, about))
            return [updated, yield* follow.emailChanged(before.email, updated, actor.id, client)] as const
          }),
        )
        yield* mail.dispatch(...messages)
        return updated
      }, traced("Administration.update")),
      delete: Effect.fnUntraced(function* (
        actor: User,
        id: UserId,
        client?: Client,
      ): Effect.fn.Return<void, Forbidden | UserNotFound | LastActiveSuperuser> {
        yield* requireSuperuser(actor)
        yield* tx.atomically(
          Effect.gen(function* () {
            yield* users.delete(id)
            yield* sessions.revokeAll(id)
            yield* audit.record("deleted", { actor: actor.id, target: id, client })
          }),
        )
      }, traced("Administration.delete")),
      /** A user's live sessions, most recently used first. */
      listSessions: Effect.fnUntraced(function* (
        actor: User,
        id: UserId,
      ): Effect.fn.Return<ReadonlyArray<Session>, Forbidden | UserNotFound> {
        yield* requireSuperuser(actor)
        yield* find(id)
        return yield* sessions.listLive(id)
      }, traced("Administration.listSessions")),
      /** Ends one of a user's sessions. */
      revokeSession: Effect.fnUntraced(function* (
        actor: User,
        id: UserId,
        sessionId: SessionId,
        client?: Client,
      ): Effect.fn.Return<void, Forbidden | SessionNotFound> {
        yield* requireSuperuser(actor)
        yield* tx.atomically(
          Effect.gen(function* () {
            if (!(yield* sessions.revoke(id, sessionId))) return yield* new SessionNotFound()
            yield* audit.record("session_revoked", { actor: actor.id, target: id, client })
          }),
        )
      }, traced("Administration.revokeSession")),
      /** Security events of every account (deleted ones too), newest first, a page at a time. */
      audit: Effect.fnUntraced(function* (actor: User, filter: AuditFilter): Effect.fn.Return<AuditPage, Forbidden> {
        yield* requireSuperuser(actor)
        const { userId, ...rest } = filter
        return yield* audit.page({ ...rest, target: userId })
      }, traced("Administration.audit")),
      /** An active superuser, for an operator bootstrapping a deployment. */
      bootstrapSuperuser: Effect.fnUntraced(function* (
        input: NewSuperuser,
      ): Effect.fn.Return<User, EmailAlreadyRegistered | UsernameTaken | PasswordRejected> {
        return yield* open(
          {
            ...input,
            full_name: null,
            bio: null,
            avatar_url: null,
            is_active: true,
            is_superuser: true,
            // The operator vouches for the first superuser's address.
            email_verified: true,
          },
          null,
          undefined,
        )
      }, traced("Administration.bootstrapSuperuser")),
    } as const
  }),
}) {}
