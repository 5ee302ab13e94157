import { DateTime, Effect, Option, Schema } from "effect"
import { Registration } from "../auth/Accounts.js"
import { Password } from "../auth/Password.js"
import { PasswordHasher } from "../auth/PasswordHasher.js"
import { PasswordPolicy, type PasswordRejected } from "../auth/PasswordPolicy.js"
import { SessionNotFound } from "../sessions/errors.js"
import type { Session, SessionId } from "../sessions/Session.js"
import { SessionStore } from "../sessions/SessionStore.js"
import {
  type EmailAlreadyRegistered,
  Forbidden,
  type LastActiveSuperuser,
  UserNotFound,
  type UsernameTaken,
} from "../users/errors.js"
import { type ListingPage, type ListingRequest, listUsers, type PageTooDeep } from "../users/Listing.js"
import { ProfileChanges } from "../users/OwnAccount.js"
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
  ...ProfileChanges.fields,
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

/** What only superusers may do. Every method checks the actor first. */
export class Administration extends Effect.Service<Administration>()("userkit/Administration", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const policy = yield* PasswordPolicy
    const sessions = yield* SessionStore

    const requireSuperuser = (actor: User): Effect.Effect<void, Forbidden> =>
      actor.is_superuser && actor.is_active ? Effect.void : Effect.fail(new Forbidden())

    const open = Effect.fn("Administration.open")(function* (input: NewAccount) {
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
      yield* users.insert({ user, passwordHash: yield* hasher.hash(password) })
      return user
    })

    const find = (id: UserId) =>
      Effect.flatMap(users.findById(id), Option.match({ onNone: () => new UserNotFound(), onSome: Effect.succeed }))

    return {
      requireSuperuser,
      /** Every account, inactive ones too, searchable by email as well. */
      list: Effect.fn("Administration.list")(function* (
        actor: User,
        request: ListingRequest,
      ): Effect.fn.Return<ListingPage<User>, Forbidden | PageTooDeep> {
        yield* requireSuperuser(actor)
        return yield* listUsers(users, request, { searchIn: ["email", "username", "full_name"], onlyActive: false })
      }),
      get: Effect.fn("Administration.get")(function* (
        actor: User,
        id: UserId,
      ): Effect.fn.Return<User, Forbidden | UserNotFound> {
        yield* requireSuperuser(actor)
        return (yield* find(id)).user
      }),
      create: Effect.fn("Administration.create")(function* (
        actor: User,
        input: NewAccount,
      ): Effect.fn.Return<User, Forbidden | EmailAlreadyRegistered | UsernameTaken | PasswordRejected> {
        yield* requireSuperuser(actor)
        return yield* open(input)
      }),
      update: Effect.fn("Administration.update")(function* (
        actor: User,
        id: UserId,
        changes: AccountChanges,
      ): Effect.fn.Return<
        User,
        Forbidden | UserNotFound | EmailAlreadyRegistered | UsernameTaken | LastActiveSuperuser | PasswordRejected
      > {
        yield* requireSuperuser(actor)
        const { password, ...fields } = changes
        if (password !== undefined) {
          // Checked against who the account will be: the email and username this change leaves it.
          const { user } = yield* find(id)
          yield* policy.check(
            password,
            { email: fields.email ?? user.email, username: fields.username ?? user.username },
            "password",
          )
        }
        // Hashed first: a slow hash must not sit between the write and its answer.
        const passwordHash = password === undefined ? undefined : yield* hasher.hash(password)
        const updated = yield* users.update(id, yield* stamped(fields))
        if (passwordHash !== undefined) yield* users.setPasswordHash(id, passwordHash)
        // A reset password, a deactivation or a demotion ends every session the account had.
        if (passwordHash !== undefined || fields.is_active === false || fields.is_superuser === false) {
          yield* sessions.revokeAll(id)
        }
        return updated
      }),
      delete: Effect.fn("Administration.delete")(function* (
        actor: User,
        id: UserId,
      ): Effect.fn.Return<void, Forbidden | UserNotFound | LastActiveSuperuser> {
        yield* requireSuperuser(actor)
        yield* users.delete(id)
        yield* sessions.revokeAll(id)
      }),
      /** A user's live sessions, most recently used first. */
      listSessions: Effect.fn("Administration.listSessions")(function* (
        actor: User,
        id: UserId,
      ): Effect.fn.Return<ReadonlyArray<Session>, Forbidden | UserNotFound> {
        yield* requireSuperuser(actor)
        yield* find(id)
        return yield* sessions.listLive(id)
      }),
      /** Ends one of a user's sessions. */
      revokeSession: Effect.fn("Administration.revokeSession")(function* (
        actor: User,
        id: UserId,
        sessionId: SessionId,
      ): Effect.fn.Return<void, Forbidden | SessionNotFound> {
        yield* requireSuperuser(actor)
        if (!(yield* sessions.revoke(id, sessionId))) return yield* new SessionNotFound()
      }),
      /** An active superuser, for an operator bootstrapping a deployment. */
      bootstrapSuperuser: Effect.fn("Administration.bootstrapSuperuser")(function* (
        input: NewSuperuser,
      ): Effect.fn.Return<User, EmailAlreadyRegistered | UsernameTaken | PasswordRejected> {
        return yield* open({
          ...input,
          full_name: null,
          bio: null,
          avatar_url: null,
          is_active: true,
          is_superuser: true,
          // The operator vouches for the first superuser's address.
          email_verified: true,
        })
      }),
    } as const
  }),
}) {}
