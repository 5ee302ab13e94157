import { Context, DateTime, Effect, type Option } from "effect"
import type { PasswordHash } from "../auth/Password.js"
import type { EmailAlreadyRegistered, LastActiveSuperuser, UserNotFound, UsernameTaken } from "./errors.js"
import type { Email, User, UserId } from "./User.js"
import type { UserQuery, UserSearchResult } from "./UserQuery.js"

/** A user as stored: the profile and the hash of its password. Never leaves the domain whole. */
export interface StoredUser {
  readonly user: User
  readonly passwordHash: PasswordHash
}

/** The fields of a user's profile, which its owner may change. */
export type ProfileFields = Pick<User, "email" | "username" | "full_name" | "bio" | "avatar_url">
/** An account's standing, which only a superuser may change. */
export type StandingFields = Pick<User, "is_active" | "is_superuser">
/** Whether the account's email is verified: set by a superuser, or cleared by a change of address. */
export type VerificationFields = Pick<User, "email_verified">

/**
 * A write naming exactly the fields it changes; a field absent is left as the store has it, so
 * two writers of different fields never undo each other. `updatedAt` stamps the change.
 */
export type Update<Fields> = Partial<Fields> & { readonly updatedAt: DateTime.Utc }
export type ProfileUpdate = Update<ProfileFields>
export type StandingUpdate = Update<StandingFields>
export type UserUpdate = Update<ProfileFields & StandingFields & VerificationFields>

/** A write of exactly these fields, stamped with the clock's time. */
export const stamped = <Fields>(fields: Partial<Fields>): Effect.Effect<Update<Fields>> =>
  Effect.map(DateTime.now, (updatedAt) => ({ ...fields, updatedAt }))

/**
 * Where users live. Emails and usernames are unique ignoring case, and that holds under
 * concurrent writes. No update or delete leaves the store without an active superuser when it had
 * one: that holds when two run at once. A write that changes the email to another address (not
 * the same one in another case) leaves it unverified, in the same step, unless that write sets
 * `email_verified` itself. An unreachable store is a `StoreUnavailable` defect, any
 * other infrastructure failure a defect quoting no row. The contract suite in
 * `@userkit/domain/testing` is the full specification.
 */
export class UserRepository extends Context.Tag("userkit/UserRepository")<
  UserRepository,
  {
    readonly insert: (user: StoredUser) => Effect.Effect<void, EmailAlreadyRegistered | UsernameTaken>
    readonly findById: (id: UserId) => Effect.Effect<Option.Option<StoredUser>>
    /**
     * By email or username, the login given as `normalizeLogin` makes it (trimmed, lower-cased);
     * stored values are compared lower-cased. A username has no "@", so at most one matches.
     */
    readonly findByLogin: (login: string) => Effect.Effect<Option.Option<StoredUser>>
    /** Users matching a query, a page of them; see `UserQuery` for the exact semantics. */
    readonly search: (query: UserQuery) => Effect.Effect<UserSearchResult>
    /** Changes the named profile fields, and only those, in one atomic step; answers the user as stored after it. */
    readonly updateProfile: (
      id: UserId,
      changes: ProfileUpdate,
    ) => Effect.Effect<User, UserNotFound | EmailAlreadyRegistered | UsernameTaken>
    /** Changes the named standing flags, and only those, in one atomic step; answers the user as stored after it. */
    readonly setStanding: (
      id: UserId,
      changes: StandingUpdate,
    ) => Effect.Effect<User, UserNotFound | LastActiveSuperuser>
    /**
     * Profile, standing and verification in one atomic step, all or nothing (an administrator's
     * edit). `email_verified: true` stamps `updatedAt`, unless the address was verified and stays
     * the same (the earlier time stands); `false` clears it.
     */
    readonly update: (
      id: UserId,
      changes: UserUpdate,
    ) => Effect.Effect<User, UserNotFound | EmailAlreadyRegistered | UsernameTaken | LastActiveSuperuser>
    readonly setPasswordHash: (id: UserId, hash: PasswordHash) => Effect.Effect<void, UserNotFound>
    /**
     * Replaces the hash only if it is still `expected` (compare-and-set): a rehash at login never
     * undoes a password change that landed meanwhile. Answers whether it replaced it.
     */
    readonly replacePasswordHash: (id: UserId, expected: PasswordHash, next: PasswordHash) => Effect.Effect<boolean>
    /**
     * Marks the account's email verified at `at`, if it is still `email` (compared ignoring case):
     * a link mailed to an address the account has since left verifies nothing. An address already
     * verified keeps its time. Answers whether the account's address is `email`, now verified.
     */
    readonly markEmailVerified: (id: UserId, email: Email, at: DateTime.Utc) => Effect.Effect<boolean>
    /** Removes the user for good. */
    readonly delete: (id: UserId) => Effect.Effect<void, UserNotFound | LastActiveSuperuser>
  }
>() {}
