import { Effect, Schema } from "effect"
import { uuidV7 } from "../Uuid.js"

/** A user's id: a UUID v7, so ids sort by creation time and cannot be guessed. */
export const UserId = Schema.UUID.pipe(Schema.brand("UserId"))
export type UserId = typeof UserId.Type

/** A fresh UUID v7: ids sort by creation time, and the Clock (so tests) controls that time. */
export const generateUserId: Effect.Effect<UserId> = Effect.map(uuidV7, (id) => UserId.make(id))

// The WHATWG "valid e-mail address" shape, with a dot required in the domain.
const emailShape =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/

/** An e-mail address, trimmed; kept as written, compared lower-cased. */
export const Email = Schema.Trim.pipe(
  Schema.maxLength(254, { message: () => "email must be at most 254 characters" }),
  Schema.pattern(emailShape, { message: () => "email must be a valid e-mail address" }),
  Schema.brand("Email"),
).annotations({ identifier: "Email" })
export type Email = typeof Email.Type

/** A username: 3-100 of [A-Za-z0-9_.-], compared case-insensitively. */
export const Username = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z0-9_.-]{3,100}$/, {
    message: () => "username must be 3 to 100 characters of letters, digits, '_', '.' or '-'",
  }),
  Schema.brand("Username"),
).annotations({ identifier: "Username" })
export type Username = typeof Username.Type

// PostgreSQL text cannot hold NUL, and no name or bio needs other control characters (a bio may
// keep tabs and line breaks).
const hasNoControlCharacters = (s: string): boolean => {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if ((c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f) return false
  }
  return true
}

export const FullName = Schema.Trim.pipe(
  Schema.maxLength(200, { message: () => "full_name must be at most 200 characters" }),
  Schema.filter(
    (s) => (hasNoControlCharacters(s) && !/[\t\n\r]/.test(s)) || "full_name must not contain control characters",
  ),
)
export const Bio = Schema.String.pipe(
  Schema.maxLength(1000, { message: () => "bio must be at most 1000 characters" }),
  Schema.filter((s) => hasNoControlCharacters(s) || "bio must not contain control characters"),
)
export const AvatarUrl = Schema.Trim.pipe(
  Schema.maxLength(2048, { message: () => "avatar_url must be at most 2048 characters" }),
  Schema.pattern(/^https?:\/\/[^\s/?#]+[^\s]*$/i, { message: () => "avatar_url must be an http or https URL" }),
)

/** A user as every caller may see it: the password hash is not part of it. */
export class User extends Schema.Class<User>("User")({
  id: UserId,
  email: Email,
  /** Whether the owner proved `email` is theirs (a link mailed to it, or a superuser's word); since when. */
  email_verified: Schema.Boolean,
  email_verified_at: Schema.NullOr(Schema.DateTimeUtc),
  username: Username,
  full_name: Schema.NullOr(FullName),
  bio: Schema.NullOr(Bio),
  avatar_url: Schema.NullOr(AvatarUrl),
  is_active: Schema.Boolean,
  is_superuser: Schema.Boolean,
  created_at: Schema.DateTimeUtc,
  updated_at: Schema.DateTimeUtc,
}) {}

/** What any signed-in user may see of another: no email, no account flags. */
export class PublicProfile extends Schema.Class<PublicProfile>("PublicProfile")({
  id: UserId,
  username: Username,
  full_name: Schema.NullOr(FullName),
  bio: Schema.NullOr(Bio),
  avatar_url: Schema.NullOr(AvatarUrl),
  created_at: Schema.DateTimeUtc,
}) {
  static fromUser = (user: User): PublicProfile =>
    new PublicProfile(
      {
        id: user.id,
        username: user.username,
        full_name: user.full_name,
        bio: user.bio,
        avatar_url: user.avatar_url,
        created_at: user.created_at,
      },
      true,
    )
}

/** Two logins name the same account when they match lower-cased (emails and usernames alike). */
export const normalizeLogin = (login: string): string => login.trim().toLowerCase()
