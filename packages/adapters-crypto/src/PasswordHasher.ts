import { createHmac } from "node:crypto"
import * as bcrypt from "@node-rs/bcrypt"
import { PasswordHash, PasswordHasher } from "@userkit/domain"
import { Effect, Layer, Redacted } from "effect"

export interface BcryptPasswordHasherOptions {
  /** bcrypt work factor, an integer in 4..31. Defaults to 12. */
  readonly cost?: number
}

export const DEFAULT_BCRYPT_COST = 12

// Changing this key (or the normalization) makes every stored hash unverifiable: bump the version.
const PREHASH_KEY = "userkit/bcrypt-sha256/v1"

/**
 * bcrypt reads only the first 72 bytes, so it is given a digest of the whole password instead.
 * NFKC first, as NIST SP 800-63B asks, so the same password typed in another form still matches.
 * HMAC with a constant key, not bare SHA-256, so a leaked unsalted SHA-256 of a password cannot be
 * tried against ("shucked" through) our hashes. Base64 gives 44 ASCII bytes: under 72, no NUL.
 */
const prehash = (password: Redacted.Redacted<string>): string =>
  createHmac("sha256", PREHASH_KEY).update(Redacted.value(password).normalize("NFKC"), "utf8").digest("base64")

/** A PasswordHasher over @node-rs/bcrypt, whose async calls run on its thread pool, off the event loop. */
export const makeBcryptPasswordHasher = (
  options: BcryptPasswordHasherOptions = {},
): Effect.Effect<PasswordHasher["Type"]> => {
  const cost = options.cost ?? DEFAULT_BCRYPT_COST
  if (!Number.isInteger(cost) || cost < 4 || cost > 31) {
    return Effect.dieMessage(`bcrypt cost must be an integer from 4 to 31, got ${cost}`)
  }
  return Effect.succeed(
    PasswordHasher.of({
      hash: Effect.fn("BcryptPasswordHasher.hash")(function* (password) {
        const hash = yield* Effect.promise((signal) => bcrypt.hash(prehash(password), { cost, signal }))
        return PasswordHash.make(hash)
      }),
      // A hash bcrypt cannot parse (another algorithm, a truncated column) is simply not a match.
      verify: (password, hash) =>
        Effect.tryPromise((signal) => bcrypt.verify(prehash(password), hash, { signal })).pipe(
          Effect.orElseSucceed(() => false),
          Effect.withSpan("BcryptPasswordHasher.verify"),
        ),
    }),
  )
}

export const BcryptPasswordHasher = {
  make: makeBcryptPasswordHasher,
  /** The domain's PasswordHasher over bcrypt; dies at build for a cost outside 4..31. */
  layer: (options: BcryptPasswordHasherOptions = {}): Layer.Layer<PasswordHasher> =>
    Layer.effect(PasswordHasher, makeBcryptPasswordHasher(options)),
} as const
