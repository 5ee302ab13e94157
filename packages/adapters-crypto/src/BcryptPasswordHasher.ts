import { createHmac } from "node:crypto"
import { availableParallelism } from "node:os"
import * as bcrypt from "@node-rs/bcrypt"
import { Overloaded, PasswordHash, PasswordHasher } from "@userkit/domain"
import { Effect, Layer, Redacted } from "effect"

export interface Options {
  /** bcrypt work factor, an integer in 4..31. Defaults to 12. */
  readonly cost?: number
  /** How many hashes and verifications run at once, at least 1. Defaults to `defaultConcurrency()`. */
  readonly concurrency?: number
  /** How many more may wait for their turn, at least 0; beyond that they die with `Overloaded`. Defaults to 64. */
  readonly queue?: number
}

export const DEFAULT_COST = 12
/** The work factors bcrypt accepts. */
export const MIN_COST = 4
export const MAX_COST = 31

export const DEFAULT_QUEUE = 64

/**
 * One per core, but fewer than the threads of libuv's pool (`UV_THREADPOOL_SIZE`, 4 unless set),
 * where @node-rs/bcrypt runs: a thread stays free for what else runs there, WebCrypto's HMAC (the
 * access tokens' signatures) and file and DNS work, so they never wait behind a hash.
 */
export const defaultConcurrency = (): number => {
  const size = Number(process.env.UV_THREADPOOL_SIZE ?? 4)
  const pool = Number.isInteger(size) && size > 0 ? size : 4
  return Math.max(1, Math.min(availableParallelism(), pool - 1))
}

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

/**
 * A PasswordHasher over @node-rs/bcrypt, whose async calls run on libuv's thread pool, off the event
 * loop; at most `concurrency` at once, `queue` more waiting, the rest refused (see `bounded`).
 */
export const make = (options: Options = {}): Effect.Effect<PasswordHasher["Type"]> => {
  const cost = options.cost ?? DEFAULT_COST
  if (!Number.isInteger(cost) || cost < MIN_COST || cost > MAX_COST) {
    return Effect.dieMessage(`bcrypt cost must be an integer from ${MIN_COST} to ${MAX_COST}, got ${cost}`)
  }
  const concurrency = options.concurrency ?? defaultConcurrency()
  const queue = options.queue ?? DEFAULT_QUEUE
  if (!Number.isInteger(concurrency) || concurrency < 1 || !Number.isInteger(queue) || queue < 0) {
    return Effect.dieMessage(
      `bcrypt concurrency must be a whole number >= 1 and queue >= 0, got ${concurrency}, ${queue}`,
    )
  }
  const turns = Effect.unsafeMakeSemaphore(concurrency)
  // Running plus waiting. Counted and checked in one synchronous step, so no two callers take one place.
  let admitted = 0
  /**
   * Runs `work` once one of `concurrency` turns is free; dies at once with `Overloaded` when `queue`
   * others already wait. Interrupted while waiting, it leaves the queue; once running, it keeps its
   * turn until bcrypt's thread is done, so the bound counts the threads really busy.
   */
  const bounded = <A>(work: Effect.Effect<A>): Effect.Effect<A> =>
    Effect.uninterruptibleMask((restore) =>
      Effect.suspend(() => {
        if (admitted >= concurrency + queue) return Effect.die(new Overloaded({ resource: "password hashing" }))
        admitted += 1
        return restore(turns.withPermits(1)(Effect.uninterruptible(work))).pipe(
          Effect.ensuring(Effect.sync(() => (admitted -= 1))),
        )
      }),
    )
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
        const hash = yield* bounded(Effect.promise(() => bcrypt.hash(prehash(password), { cost })))
        return PasswordHash.make(hash)
      }),
      // A hash bcrypt cannot parse (another algorithm, a truncated column) is simply not a match.
      verify: (password, hash) => {
        const prehashed = prehash(password)
        // The fillers are part of the one verification: they run in its turn.
        return Effect.tryPromise(() => bcrypt.verify(prehashed, hash)).pipe(
          Effect.orElseSucceed(() => false),
          Effect.zipLeft(padded(prehashed, costOf(hash))),
          bounded,
          Effect.withSpan("BcryptPasswordHasher.verify"),
        )
      },
      // Another cost, or not a 2b bcrypt string at all (such a hash never verifies anyway).
      needsRehash: (hash) => costOf(hash) !== cost,
    }),
  )
}

/** The domain's PasswordHasher over bcrypt; dies at build for a cost outside 4..31 or a bound below 1. */
export const layer = (options: Options = {}): Layer.Layer<PasswordHasher> => Layer.effect(PasswordHasher, make(options))
