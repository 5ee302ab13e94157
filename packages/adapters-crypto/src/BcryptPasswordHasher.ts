import { createHmac } from "node:crypto"
import * as bcrypt from "@node-rs/bcrypt"
import { PasswordHash, PasswordHasher } from "@userkit/domain"
import { Effect, Layer, Redacted } from "effect"

export interface Options {
  /** bcrypt work factor, an integer in 4..31. Defaults to 12. */
  readonly cost?: number
}

export const DEFAULT_COST = 12
/** The work factors bcrypt accepts. */
export const MIN_COST = 4
export const MAX_COST = 31

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

// What @node-rs/bcrypt writes: version 2b, a two-digit cost, then 22 characters of salt and 31 of hash.
const BCRYPT_HASH = /^\$2b\$(\d{2})\$[./A-Za-z0-9]{53}$/

/** A PasswordHasher over @node-rs/bcrypt, whose async calls run on its thread pool, off the event loop. */
export const make = (options: Options = {}): Effect.Effect<PasswordHasher["Type"]> => {
  const cost = options.cost ?? DEFAULT_COST
  if (!Number.isInteger(cost) || cost < MIN_COST || cost > MAX_COST) {
    return Effect.dieMessage(`bcrypt cost must be an integer from ${MIN_COST} to ${MAX_COST}, got ${cost}`)
  }
  const costOf = (hash: string): number | undefined => {
    const stored = BCRYPT_HASH.exec(hash)?.[1]
    return stored === undefined ? undefined : Number(stored)
  }
  // Hashes of a constant at each cost, made once, only ever verified against (see `padded`).
  const fillers = new Map<number, Promise<string>>()
  const filler = (fillerCost: number) => {
    const known = fillers.get(fillerCost)
    if (known !== undefined) return known
    const made = bcrypt.hash(PREHASH_KEY, { cost: fillerCost })
    fillers.set(fillerCost, made)
    return made
  }
  /**
   * After verifying a hash of a lower cost than the configured one (made before a cost change, not
   * yet remade at a login), verifies fillers at every cost in between: 2^o + 2^o + ... + 2^(n-1) =
   * 2^n, so the whole costs one verification at the configured cost, as an unknown account's does,
   * and timing does not tell the accounts that have not logged in since from those that do not exist.
   */
  const padded = (prehashed: string, storedCost: number | undefined) =>
    storedCost === undefined || storedCost >= cost
      ? Effect.void
      : Effect.forEach(
          Array.from({ length: cost - storedCost }, (_, i) => storedCost + i),
          (fillerCost) => Effect.promise(() => filler(fillerCost).then((hash) => bcrypt.verify(prehashed, hash))),
          { discard: true },
        )
  return Effect.succeed(
    PasswordHasher.of({
      hash: Effect.fn("BcryptPasswordHasher.hash")(function* (password) {
        const hash = yield* Effect.promise((signal) => bcrypt.hash(prehash(password), { cost, signal }))
        return PasswordHash.make(hash)
      }),
      // A hash bcrypt cannot parse (another algorithm, a truncated column) is simply not a match.
      verify: (password, hash) => {
        const prehashed = prehash(password)
        return Effect.tryPromise((signal) => bcrypt.verify(prehashed, hash, { signal })).pipe(
          Effect.orElseSucceed(() => false),
          Effect.zipLeft(padded(prehashed, costOf(hash))),
          Effect.withSpan("BcryptPasswordHasher.verify"),
        )
      },
      // Another cost, or not a 2b bcrypt string at all (such a hash never verifies anyway).
      needsRehash: (hash) => costOf(hash) !== cost,
    }),
  )
}

/** The domain's PasswordHasher over bcrypt; dies at build for a cost outside 4..31. */
export const layer = (options: Options = {}): Layer.Layer<PasswordHasher> => Layer.effect(PasswordHasher, make(options))
