import { DateTime } from "effect"
import { clientAt } from "../auth/Client.js"
import { PasswordHash } from "../auth/Password.js"
import { Email, User, UserId, Username } from "../users/User.js"
import type { StoredUser } from "../users/UserRepository.js"

let counter = 0
const uniqueTag = (): string =>
  `${Date.now().toString(36)}${(counter++).toString(36)}${Math.random().toString(36).slice(2, 6)}`

export interface StoredUserOverrides {
  readonly id?: string
  readonly email?: string
  readonly username?: string
  readonly full_name?: string | null
  readonly is_active?: boolean
  readonly is_superuser?: boolean
  /** When the email was verified; unverified when absent. */
  readonly email_verified_at?: Date
  readonly created_at?: Date
  readonly passwordHash?: string
}

/** A valid stored user, unique by default; override what a test is about. */
export const aStoredUser = (overrides: StoredUserOverrides = {}): StoredUser => {
  const tag = uniqueTag()
  const createdAt = DateTime.unsafeMake(overrides.created_at ?? new Date("2026-01-02T03:04:05.678Z"))
  return {
    user: new User({
      id: UserId.make(overrides.id ?? crypto.randomUUID()),
      email: Email.make(overrides.email ?? `user-${tag}@example.com`),
      email_verified: overrides.email_verified_at !== undefined,
      email_verified_at:
        overrides.email_verified_at === undefined ? null : DateTime.unsafeMake(overrides.email_verified_at),
      username: Username.make(overrides.username ?? `user_${tag}`),
      full_name: overrides.full_name === undefined ? `User ${tag}` : overrides.full_name,
      bio: null,
      avatar_url: null,
      is_active: overrides.is_active ?? true,
      is_superuser: overrides.is_superuser ?? false,
      created_at: createdAt,
      updated_at: createdAt,
    }),
    passwordHash: PasswordHash.make(overrides.passwordHash ?? `hash-${tag}`),
  }
}

/** A client at a documentation address (RFC 5737), with no user agent: who a use-case test acts as. */
export const aClient = clientAt("203.0.113.10")
