import { Schema } from "effect"

/** The most characters any password may have, whatever the policy says: a bound on the work one request buys. */
export const MAX_PASSWORD_LENGTH = 1024

// Whether `s` has at most `max` code points, without building an array of a megabyte sent to tire us:
// a code point is one or two UTF-16 units.
const atMostCodePoints = (s: string, max: number): boolean =>
  s.length <= max || (s.length <= 2 * max && [...s].length <= max)

/**
 * A new plain password, `Redacted` from the moment it is decoded. The schema only bounds the input
 * (1 to 1024 characters as typed), so a megabyte is never normalized nor hashed; the configured
 * length and the other rules are the `PasswordPolicy`'s, checked by the use case. Messages never
 * echo the value.
 */
export const Password = Schema.Redacted(
  Schema.String.pipe(
    Schema.filter((s) => {
      if (s.length === 0) return "password must not be empty"
      return atMostCodePoints(s, MAX_PASSWORD_LENGTH) || `password must be at most ${MAX_PASSWORD_LENGTH} characters`
    }),
  ).annotations({
    identifier: "Password",
    description:
      "8 to 128 characters by default, configurable, counted after NFKC normalization; see the password policy",
  }),
)
export type Password = typeof Password.Type

/** The stored form of a password, as the configured PasswordHasher wrote it. */
export const PasswordHash = Schema.String.pipe(Schema.brand("PasswordHash"))
export type PasswordHash = typeof PasswordHash.Type
