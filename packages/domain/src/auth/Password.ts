import { Schema } from "effect"

const codePoints = (s: string): number => [...s].length

/**
 * A plain password, `Redacted` from the moment it is decoded. 8-128 characters (code points).
 * Messages never echo the value.
 */
export const Password = Schema.Redacted(
  Schema.String.pipe(
    Schema.filter((s) => codePoints(s) >= 8 || "password must be at least 8 characters"),
    Schema.filter((s) => codePoints(s) <= 128 || "password must be at most 128 characters"),
  ).annotations({ identifier: "Password", description: "8 to 128 characters" }),
)
export type Password = typeof Password.Type

/** The stored form of a password, as the configured PasswordHasher wrote it. */
export const PasswordHash = Schema.String.pipe(Schema.brand("PasswordHash"))
export type PasswordHash = typeof PasswordHash.Type
