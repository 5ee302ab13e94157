import { Schema } from "effect"

// Counted in the form the hashers hash (NFKC), so "e" + a combining accent is one character, as typed.
const normalizedLength = (s: string): number => [...s.normalize("NFKC")].length

/**
 * A plain password, `Redacted` from the moment it is decoded. 8-128 characters (code points,
 * after NFKC normalization). Messages never echo the value.
 */
export const Password = Schema.Redacted(
  Schema.String.pipe(
    Schema.filter((s) => {
      const length = normalizedLength(s)
      if (length < 8) return "password must be at least 8 characters"
      return length <= 128 || "password must be at most 128 characters"
    }),
  ).annotations({ identifier: "Password", description: "8 to 128 characters, counted after NFKC normalization" }),
)
export type Password = typeof Password.Type

/** The stored form of a password, as the configured PasswordHasher wrote it. */
export const PasswordHash = Schema.String.pipe(Schema.brand("PasswordHash"))
export type PasswordHash = typeof PasswordHash.Type
