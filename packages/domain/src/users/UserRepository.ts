import { Context, type Effect, type Option } from "effect"
import type { PasswordHash } from "../auth/Password.js"
import type { EmailAlreadyRegistered, LastActiveSuperuser, UserNotFound, UsernameTaken } from "./errors.js"
import type { User, UserId } from "./User.js"
import type { UserQuery, UserSearchResult } from "./UserQuery.js"

/** A user as stored: the profile and the hash of its password. Never leaves the domain whole. */
export interface StoredUser {
  readonly user: User
  readonly passwordHash: PasswordHash
}

/**
 * Where users live. Emails and usernames are unique ignoring case, and that holds under
 * concurrent writes. No update or delete leaves the store without an active superuser when it had
 * one: that holds when two run at once. Infrastructure failures are defects. The contract suite in
 * `@userkit/domain/testing` is the full specification.
 */
export class UserRepository extends Context.Tag("userkit/UserRepository")<
  UserRepository,
  {
    readonly insert: (user: StoredUser) => Effect.Effect<void, EmailAlreadyRegistered | UsernameTaken>
    readonly findById: (id: UserId) => Effect.Effect<Option.Option<StoredUser>>
    /** By email or username, ignoring case (a username has no "@", so at most one matches). */
    readonly findByLogin: (login: string) => Effect.Effect<Option.Option<StoredUser>>
    /** Users matching a query, a page of them; see `UserQuery` for the exact semantics. */
    readonly search: (query: UserQuery) => Effect.Effect<UserSearchResult>
    /** Replaces the profile and flags of the user with this id (not its password hash). */
    readonly update: (
      user: User,
    ) => Effect.Effect<void, UserNotFound | EmailAlreadyRegistered | UsernameTaken | LastActiveSuperuser>
    readonly setPasswordHash: (id: UserId, hash: PasswordHash) => Effect.Effect<void, UserNotFound>
    /** Removes the user for good. */
    readonly delete: (id: UserId) => Effect.Effect<void, UserNotFound | LastActiveSuperuser>
  }
>() {}
