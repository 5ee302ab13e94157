import { PasswordHash, PasswordHasher } from "@userkit/domain"
import { Effect, Layer, Redacted, Ref } from "effect"

export interface Options {
  /**
   * A label standing for a work factor: written into each hash and mixed into its digest, as
   * bcrypt does with its cost, so tests can change it and watch old hashes get upgraded. A
   * non-negative integer; defaults to 1. It makes hashing no slower.
   */
  readonly cost?: number
}

const encoder = new TextEncoder()

const digest = (cost: number, salt: string, password: Redacted.Redacted<string>) =>
  Effect.promise(() =>
    crypto.subtle.digest("SHA-256", encoder.encode(`${cost}:${salt}:${Redacted.value(password).normalize("NFKC")}`)),
  ).pipe(Effect.map((buffer) => Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, "0")).join("")))

// fake$<cost>$<salt>$<hex digest>
const parse = (hash: string) => {
  const [scheme, cost, salt, expected, ...rest] = hash.split("$")
  if (scheme !== "fake" || cost === undefined || !/^\d+$/.test(cost)) return undefined
  if (salt === undefined || expected === undefined || rest.length > 0) return undefined
  return { cost: Number(cost), salt, expected }
}

/**
 * A fast, deterministic PasswordHasher for tests: salted SHA-256, the salt a counter, so a fresh
 * layer hashes the same inputs to the same outputs. Never for production: SHA-256 is not slow.
 */
export const make = (options: Options = {}) =>
  Effect.gen(function* () {
    const cost = options.cost ?? 1
    if (!Number.isSafeInteger(cost) || cost < 0) {
      return yield* Effect.dieMessage(`fake hasher cost must be a non-negative integer, got ${cost}`)
    }
    const counter = yield* Ref.make(0)
    return PasswordHasher.of({
      hash: (password) =>
        Ref.getAndUpdate(counter, (n) => n + 1).pipe(
          Effect.map((n) => `s${n}`),
          Effect.flatMap((salt) =>
            Effect.map(digest(cost, salt, password), (hex) => PasswordHash.make(`fake$${cost}$${salt}$${hex}`)),
          ),
        ),
      verify: (password, hash) => {
        const parsed = parse(hash)
        if (parsed === undefined) return Effect.succeed(false)
        return Effect.map(digest(parsed.cost, parsed.salt, password), (hex) => hex === parsed.expected)
      },
      needsRehash: (hash) => parse(hash)?.cost !== cost,
    })
  })

/** The fast hasher; another cost label plays a cost change in a test. */
export const layer = (options: Options = {}): Layer.Layer<PasswordHasher> => Layer.effect(PasswordHasher, make(options))
