import { PasswordHash, PasswordHasher } from "@userkit/domain"
import { Effect, Layer, Redacted, Ref } from "effect"

const encoder = new TextEncoder()

const digest = (salt: string, password: Redacted.Redacted<string>) =>
  Effect.promise(() =>
    crypto.subtle.digest("SHA-256", encoder.encode(`${salt}:${Redacted.value(password).normalize("NFKC")}`)),
  ).pipe(Effect.map((buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("")))

/**
 * A fast, deterministic PasswordHasher for tests: salted SHA-256, the salt a counter, so a fresh
 * layer hashes the same inputs to the same outputs. Never for production: SHA-256 is not slow.
 */
export const makeFastPasswordHasher = Effect.gen(function* () {
  const counter = yield* Ref.make(0)
  return PasswordHasher.of({
    hash: (password) =>
      Ref.getAndUpdate(counter, (n) => n + 1).pipe(
        Effect.map((n) => `s${n}`),
        Effect.flatMap((salt) => Effect.map(digest(salt, password), (hex) => PasswordHash.make(`fake$${salt}$${hex}`))),
      ),
    verify: (password, hash) => {
      const [scheme, salt, expected] = hash.split("$")
      if (scheme !== "fake" || salt === undefined || expected === undefined) return Effect.succeed(false)
      return Effect.map(digest(salt, password), (hex) => hex === expected)
    },
  })
})

export const FastPasswordHasher = {
  layer: Layer.effect(PasswordHasher, makeFastPasswordHasher),
}
