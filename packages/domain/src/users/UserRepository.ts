import { Context, type Effect, type Option } from "effect"
import type { PasswordHash } from "../auth/Password.js"
import type { EmailAlreadyRegistered, UsernameTaken } from "./errors.js"
import type { User, UserId } from "./User.js"

/** A user as stored: the profile and the hash of its password. Never leaves the domain whole. */
export interface StoredUser {
  readonly user: User
  readonly passwordHash: PasswordHash
}

export interface UserPage {
  readonly offset: number
  readonly limit: number
}

/**
 * Where users live. Emails and usernames are unique ignoring case, and that holds under
 * concurrent inserts. Lists are ordered by `created_at`, then `id`. Infrastructure failures
 * are defects. The contract suite in `@userkit/domain/testing` is the full specification.
 */
export class UserRepository extends Context.Tag("userkit/UserRepository")<
  UserRepository,
  {
    readonly insert: (user: StoredUser) => Effect.Effect<void, EmailAlreadyRegistered | UsernameTaken>
    readonly findById: (id: UserId) => Effect.Effect<Option.Option<StoredUser>>
    /** By email or username, ignoring case (a username has no "@", so at most one matches). */
    readonly findByLogin: (login: string) => Effect.Effect<Option.Option<StoredUser>>
    readonly list: (page: UserPage) => Effect.Effect<ReadonlyArray<User>>
  }
>() {}
