import { createHmac } from "node:crypto"
import { readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { Overloaded, PasswordHash, PasswordHasher, traced } from "@userkit/domain"
import { Effect, Layer, Redacted } from "effect"
import * as HashingThreads from "./HashingThreads.js"

export interface Options {
  /** bcrypt work factor, an integer in 4..31. Defaults to 12. */
  readonly cost?: number
  /** How many hashes and verifications run at once, at least 1. Defaults to `defaultConcurrency()`. */
  readonly concurrency?: number
  /** How many more may wait for their turn, at least 0; beyond that they die with `Overloaded`. Defaults to 64. */
  readonly queue?: number
  /** How much lower the hashing threads' OS priority is than the event loop's, 0..19 (Linux). Defaults to 5. */
  readonly nice?: number
  /** Where bcrypt runs. Defaults to `concurrency` threads of its own at `nice` (HashingThreads). */
  readonly threads?: HashingThreads.HashingThreads
}

export const DEFAULT_COST = 12
/** The work factors bcrypt accepts. */
export const MIN_COST = 4
export const MAX_COST = 31

export const DEFAULT_QUEUE = 64

export const DEFAULT_NICE = 5
export const MAX_NICE = 19

/**
 * The cores a cgroup (v2) quota allows, from `/sys/fs/cgroup/cpu.max` ("max 100000", or "200000
 * 100000" for two), rounded up; undefined without a quota.
 */
export const quotaCores = (cpuMax: string | undefined): number | undefined => {
  const [quota, period] = (cpuMax ?? "").trim().split(/\s+/).map(Number)
  return quota === undefined || period === undefined || !(quota > 0) || !(period > 0)
    ? undefined
    : Math.max(1, Math.ceil(quota / period))
}

const cgroupCpuMax = (): string | undefined => {
  try {
    return readFileSync("/sys/fs/cgroup/cpu.max", "utf8")
  } catch {
    return undefined
  }
}

/**
 * One per core the process may use: the machine's, or fewer under a container's CPU quota (which
 * node 20's count of the cores does not see). Hashing runs on threads of its own, not on libuv's
 * pool, so file, DNS and WebCrypto work never waits behind it.
 */
export const defaultConcurrency = (): number =>
  Math.max(1, Math.min(availableParallelism(), quotaCores(cgroupCpuMax()) ?? Number.POSITIVE_INFINITY))

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
 * A PasswordHasher over @node-rs/bcrypt, run on threads of its own (HashingThreads), off the event
 * loop and below its priority; at most `concurrency` at once, `queue` more waiting, the rest
 * refused (see `bounded`).
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
  const nice = options.nice ?? DEFAULT_NICE
  if (!Number.isInteger(nice) || nice < 0 || nice > MAX_NICE) {
    return Effect.dieMessage(`bcrypt nice must be a whole number from 0 to ${MAX_NICE}, got ${nice}`)
  }
  const threads = options.threads ?? HashingThreads.make({ size: concurrency, nice })
  const verifyOn = (password: string, hash: string) =>
    Effect.map(threads.run({ op: "verify", password, hash }), (matched) => matched === true)
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
    const made = Effect.runPromise(
      Effect.map(threads.run({ op: "hash", password: PREHASH_KEY, cost: fillerCost }), String),
    )
    fillers.set(fillerCost, made)
    // A filler that could not be made is made again next time, not kept as a failure.
    made.catch(() => fillers.delete(fillerCost))
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
          (fillerCost) =>
            Effect.flatMap(
              Effect.promise(() => filler(fillerCost)),
              (hash) => verifyOn(prehashed, hash),
            ),
          { discard: true },
        )
  return Effect.succeed(
    PasswordHasher.of({
      hash: Effect.fnUntraced(function* (password) {
        const hash = yield* bounded(threads.run({ op: "hash", password: prehash(password), cost }))
        return PasswordHash.make(String(hash))
      }, traced("BcryptPasswordHasher.hash")),
      // A hash bcrypt cannot parse (another algorithm, a truncated column) is simply not a match.
      verify: (password, hash) => {
        const prehashed = prehash(password)
        // The fillers are part of the one verification: they run in its turn.
        return verifyOn(prehashed, hash).pipe(
          Effect.zipLeft(padded(prehashed, costOf(hash))),
          bounded,
          traced("BcryptPasswordHasher.verify"),
        )
      },
      // Another cost, or not a 2b bcrypt string at all (such a hash never verifies anyway).
      needsRehash: (hash) => costOf(hash) !== cost,
    }),
  )
}

/** The domain's PasswordHasher over bcrypt; dies at build for a cost outside 4..31 or a bound below 1. */
export const layer = (options: Options = {}): Layer.Layer<PasswordHasher> => Layer.effect(PasswordHasher, make(options))
