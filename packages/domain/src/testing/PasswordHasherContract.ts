import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, Redacted } from "effect"
import { PasswordHash } from "../auth/Password.js"
import { PasswordHasher } from "../auth/PasswordHasher.js"

const secret = (s: string) => Redacted.make(s)

const unreadable = ["", "not a hash", "$2b$12$short", "$argon2id$v=19$m=65536,t=3,p=4$abc$def"]

/**
 * The specification of a PasswordHasher. `otherConfiguration` is the same hasher configured
 * otherwise (another cost): what it hashed, this one must verify and want remade.
 */
export const passwordHasherContract = (
  name: string,
  layer: Layer.Layer<PasswordHasher, unknown>,
  otherConfiguration: Layer.Layer<PasswordHasher, unknown>,
) =>
  describe(`PasswordHasher contract: ${name}`, () => {
    it.layer(layer, { timeout: 60_000 })((it) => {
      it.effect("verifies the password it hashed, and no other", () =>
        Effect.gen(function* () {
          const hasher = yield* PasswordHasher
          const hash = yield* hasher.hash(secret("correct horse battery staple"))
          expect(hash).not.toContain("correct horse")
          expect(yield* hasher.verify(secret("correct horse battery staple"), hash)).toBe(true)
          expect(yield* hasher.verify(secret("correct horse battery stapler"), hash)).toBe(false)
          expect(yield* hasher.verify(secret("Correct horse battery staple"), hash)).toBe(false)
        }),
      )

      it.effect("salts: the same password hashes differently twice", () =>
        Effect.gen(function* () {
          const hasher = yield* PasswordHasher
          const [a, b] = yield* Effect.all([hasher.hash(secret("same password")), hasher.hash(secret("same password"))])
          expect(a).not.toEqual(b)
        }),
      )

      it.effect("tells apart long passwords that differ only after their first 72 bytes", () =>
        Effect.gen(function* () {
          const hasher = yield* PasswordHasher
          // 40 two-byte characters are 80 bytes of UTF-8, in 41 characters.
          const prefix = "é".repeat(40)
          const hash = yield* hasher.hash(secret(`${prefix}a`))
          expect(yield* hasher.verify(secret(`${prefix}a`), hash)).toBe(true)
          expect(yield* hasher.verify(secret(`${prefix}b`), hash)).toBe(false)
          const ascii = `${"x".repeat(100)}1`
          const asciiHash = yield* hasher.hash(secret(ascii))
          expect(yield* hasher.verify(secret(`${"x".repeat(100)}2`), asciiHash)).toBe(false)
        }),
      )

      it.effect("accepts a password typed in another Unicode normalization form", () =>
        Effect.gen(function* () {
          const hasher = yield* PasswordHasher
          const composed = "caf\u00e9 cr\u00e8me br\u00fbl\u00e9e"
          const decomposed = composed.normalize("NFD")
          expect(decomposed).not.toEqual(composed)
          const hash = yield* hasher.hash(secret(composed))
          expect(yield* hasher.verify(secret(decomposed), hash)).toBe(true)
        }),
      )

      it.effect("answers false, not a failure, for a hash it cannot read, and wants it remade", () =>
        Effect.gen(function* () {
          const hasher = yield* PasswordHasher
          for (const garbage of unreadable) {
            expect(yield* hasher.verify(secret("whatever password"), PasswordHash.make(garbage))).toBe(false)
            expect(hasher.needsRehash(PasswordHash.make(garbage))).toBe(true)
          }
        }),
      )

      it.effect("does not want a hash it has just made remade", () =>
        Effect.gen(function* () {
          const hasher = yield* PasswordHasher
          expect(hasher.needsRehash(yield* hasher.hash(secret("correct horse battery staple")))).toBe(false)
        }),
      )

      it.effect("verifies a hash made at another configuration, and wants it remade", () =>
        Effect.gen(function* () {
          const hasher = yield* PasswordHasher
          const old = yield* Effect.flatMap(PasswordHasher, (other) =>
            Effect.map(other.hash(secret("correct horse battery staple")), (hash) => ({
              hash,
              current: !other.needsRehash(hash),
            })),
          ).pipe(Effect.provide(otherConfiguration))
          // Only the configuration differs: the other hasher is content with its own hash.
          expect(old.current).toBe(true)
          expect(yield* hasher.verify(secret("correct horse battery staple"), old.hash)).toBe(true)
          expect(yield* hasher.verify(secret("correct horse battery stapler"), old.hash)).toBe(false)
          expect(hasher.needsRehash(old.hash)).toBe(true)
        }),
      )
    })
  })
