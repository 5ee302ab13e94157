import { createHmac } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import * as bcrypt from "@node-rs/bcrypt"
import { Overloaded, PasswordHash, PasswordHasher } from "@userkit/domain"
import { passwordHasherContract } from "@userkit/domain/testing"
import { Cause, Duration, Effect, Exit, Fiber, type Layer, Option, Redacted } from "effect"
import { BcryptPasswordHasher, HashingThreads } from "../src/index.js"

// The hasher's calls to its threads, counted while in progress: how many bcrypt calls it really runs at once.
const calls = { running: 0, most: 0 }
const counted = (threads: HashingThreads.HashingThreads): HashingThreads.HashingThreads => ({
  run: (task) =>
    Effect.acquireUseRelease(
      Effect.sync(() => {
        calls.running += 1
        calls.most = Math.max(calls.most, calls.running)
      }),
      () => threads.run(task),
      () => Effect.sync(() => (calls.running -= 1)),
    ),
})

passwordHasherContract("bcrypt", BcryptPasswordHasher.layer({ cost: 4 }), BcryptPasswordHasher.layer({ cost: 5 }))

const hashWith = (layer: Layer.Layer<PasswordHasher>, password: string) =>
  Effect.flatMap(PasswordHasher, (hasher) => hasher.hash(Redacted.make(password))).pipe(Effect.provide(layer))

/**
 * The median of seven ratios: the time `hasher` takes to verify `old` over `current`, timed in
 * turns (so a busy machine slows both alike), after one verification of `old` that makes its fillers.
 */
const medianVerifyRatio = (
  hasher: PasswordHasher["Type"],
  password: Redacted.Redacted<string>,
  old: PasswordHash,
  current: PasswordHash,
) =>
  Effect.gen(function* () {
    const timed = (hash: PasswordHash) =>
      Effect.gen(function* () {
        const start = performance.now()
        expect(yield* hasher.verify(password, hash)).toBe(true)
        return performance.now() - start
      })
    yield* timed(old)
    const ratios: Array<number> = []
    for (let i = 0; i < 7; i++) ratios.push((yield* timed(old)) / (yield* timed(current)))
    return ratios.sort((a, b) => a - b)[3] ?? 0
  })

describe("BcryptPasswordHasher", () => {
  it.effect("stores a standard bcrypt string with the configured cost", () =>
    Effect.gen(function* () {
      const hash = yield* hashWith(BcryptPasswordHasher.layer({ cost: 4 }), "correct horse battery staple")
      expect(hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/)
    }),
  )

  it.effect("uses cost 12 when no cost is given", () =>
    Effect.gen(function* () {
      const hash = yield* hashWith(BcryptPasswordHasher.layer(), "correct horse battery staple")
      expect(hash.startsWith("$2b$12$")).toBe(true)
    }),
  )

  // Pins the stored format: a change here would lock every existing user out.
  it.effect("hashes the HMAC-SHA256 of the NFKC form, so stored hashes stay verifiable", () =>
    Effect.gen(function* () {
      const hash = yield* hashWith(
        BcryptPasswordHasher.layer({ cost: 4 }),
        "\uff43\uff41\uff46\u00e9 \ufb01ne password",
      )
      const expected = createHmac("sha256", "userkit/bcrypt-sha256/v1").update("café fine password").digest("base64")
      expect(yield* Effect.promise(() => bcrypt.verify(expected, hash))).toBe(true)
      expect(yield* Effect.promise(() => bcrypt.verify("café fine password", hash))).toBe(false)
    }),
  )

  it.effect("wants a real bcrypt hash remade when its cost is not the configured one", () =>
    Effect.gen(function* () {
      const atCost4 = yield* hashWith(BcryptPasswordHasher.layer({ cost: 4 }), "correct horse battery staple")
      const atCost5 = yield* hashWith(BcryptPasswordHasher.layer({ cost: 5 }), "correct horse battery staple")
      const configuredAt5 = yield* Effect.provide(PasswordHasher, BcryptPasswordHasher.layer({ cost: 5 }))
      expect(configuredAt5.needsRehash(atCost4)).toBe(true)
      expect(configuredAt5.needsRehash(atCost5)).toBe(false)
      // The same hash in another bcrypt version (2a, 2y) is remade into 2b, what this library writes.
      expect(configuredAt5.needsRehash(PasswordHash.make(atCost5.replace("$2b$", "$2a$")))).toBe(true)
      expect(configuredAt5.needsRehash(PasswordHash.make(atCost5.replace("$2b$", "$2y$")))).toBe(true)
      expect(configuredAt5.needsRehash(PasswordHash.make(atCost5.slice(0, -1)))).toBe(true)
    }),
  )

  // Not a benchmark: bounds far looser than the effect. Unpadded, the old-cost hash verifies 64x
  // faster than the configured cost; padded, within noise of it. The two are timed in turns, so a
  // busy machine slows both alike.
  it.live("verifies a hash of a lower cost in the time of one at the configured cost", () =>
    Effect.gen(function* () {
      const password = Redacted.make("correct horse battery staple")
      const old = yield* hashWith(BcryptPasswordHasher.layer({ cost: 4 }), Redacted.value(password))
      const current = yield* hashWith(BcryptPasswordHasher.layer({ cost: 10 }), Redacted.value(password))
      const hasher = yield* Effect.provide(PasswordHasher, BcryptPasswordHasher.layer({ cost: 10 }))
      const median = yield* medianVerifyRatio(hasher, password, old, current)
      expect(median).toBeGreaterThan(0.3)
      expect(median).toBeLessThan(3)
    }),
  )

  it.effect("refuses to build with a cost outside 4..31", () =>
    Effect.gen(function* () {
      for (const cost of [3, 32, 10.5, Number.NaN]) {
        const exit = yield* Effect.exit(hashWith(BcryptPasswordHasher.layer({ cost }), "whatever password"))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      }
    }),
  )
})

describe("BcryptPasswordHasher's default concurrency", () => {
  it("counts the cores a container's CPU quota allows (cgroup v2 cpu.max), rounded up", () => {
    expect(BcryptPasswordHasher.quotaCores("max 100000\n")).toBeUndefined()
    expect(BcryptPasswordHasher.quotaCores("200000 100000\n")).toBe(2)
    expect(BcryptPasswordHasher.quotaCores("150000 100000")).toBe(2)
    expect(BcryptPasswordHasher.quotaCores("50000 100000")).toBe(1)
    expect(BcryptPasswordHasher.quotaCores(undefined)).toBeUndefined()
    expect(BcryptPasswordHasher.quotaCores("not a quota")).toBeUndefined()
    expect(BcryptPasswordHasher.defaultConcurrency()).toBeGreaterThanOrEqual(1)
  })
})

describe("BcryptPasswordHasher under load", () => {
  const password = Redacted.make("correct horse battery staple")
  const hasherWith = (options: BcryptPasswordHasher.Options) =>
    Effect.provide(PasswordHasher, BcryptPasswordHasher.layer(options))
  const isOverloaded = (exit: Exit.Exit<unknown>) =>
    Exit.isFailure(exit) && Option.exists(Cause.dieOption(exit.cause), (defect) => defect instanceof Overloaded)

  it.live("refuses at once with Overloaded when the queue is full, finishes the queued, then takes work again", () =>
    Effect.gen(function* () {
      const hasher = yield* hasherWith({ cost: 12, concurrency: 1, queue: 2 })
      const hash = yield* hasher.hash(password)
      // One running, two waiting: the queue is full.
      const admitted = yield* Effect.forEach([1, 2, 3], () => Effect.fork(hasher.verify(password, hash)))
      yield* Effect.sleep(Duration.millis(20))
      const [elapsed, refused] = yield* Effect.timed(Effect.exit(hasher.verify(password, hash)))
      expect(isOverloaded(refused)).toBe(true)
      // Refused before the first in line is done, not after waiting for a turn (one takes ~250 ms).
      expect(Duration.toMillis(elapsed)).toBeLessThan(150)
      for (const fiber of admitted) expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
      expect(yield* Effect.forEach(admitted, Fiber.join)).toEqual([true, true, true])
      expect(yield* hasher.verify(password, hash)).toBe(true)
    }),
  )

  // The hasher is at cost 6 and the hash at 4: each verification also verifies fillers at 4 and 5,
  // which must run in its turn, not after it has given it up.
  it.live("runs at most `concurrency` bcrypt calls at once, padding fillers included", () =>
    Effect.gen(function* () {
      const old = yield* hashWith(BcryptPasswordHasher.layer({ cost: 4 }), Redacted.value(password))
      // Threads enough for all twelve: only the hasher's own bound can hold them to two.
      const threads = counted(HashingThreads.make({ size: 12, nice: 0 }))
      const hasher = yield* hasherWith({ cost: 6, concurrency: 2, queue: 20, threads })
      calls.most = 0
      const verified = yield* Effect.forEach(
        Array.from({ length: 12 }, (_, i) => i),
        (i) => (i % 3 === 0 ? Effect.as(hasher.hash(password), true) : hasher.verify(password, old)),
        { concurrency: "unbounded" },
      )
      expect(verified.every((ok) => ok)).toBe(true)
      expect(calls.most).toBe(2)
    }),
  )

  // Under load too: a padded verification's fillers run in its turn, not each waiting behind another
  // caller's call (a way of handing threads their next call did that: ~4x as long as an unknown
  // account's, under load).
  it.live("verifies a hash of a lower cost in the time of one at the configured cost while another caller hashes", () =>
    Effect.gen(function* () {
      const old = yield* hashWith(BcryptPasswordHasher.layer({ cost: 4 }), Redacted.value(password))
      const hasher = yield* hasherWith({ cost: 10, concurrency: 1, queue: 10, nice: 0 })
      const current = yield* hasher.hash(password)
      yield* hasher.verify(password, old) // makes the fillers before the other caller starts
      const other = yield* Effect.fork(Effect.forever(hasher.verify(password, current)))
      const median = yield* medianVerifyRatio(hasher, password, old, current)
      yield* Fiber.interrupt(other)
      expect(median).toBeGreaterThan(0.4)
      expect(median).toBeLessThan(2)
    }),
  )

  it.live("lets an operation interrupted while it waits leave the queue", () =>
    Effect.gen(function* () {
      const hasher = yield* hasherWith({ cost: 12, concurrency: 1, queue: 1 })
      const hash = yield* hasher.hash(password)
      const running = yield* Effect.fork(hasher.verify(password, hash))
      const waiting = yield* Effect.fork(hasher.verify(password, hash))
      yield* Effect.sleep(Duration.millis(20))
      yield* Fiber.interrupt(waiting)
      // Its place is free again: another one queues instead of being refused.
      expect(yield* hasher.verify(password, hash)).toBe(true)
      expect(yield* Fiber.join(running)).toBe(true)
    }),
  )

  it.effect("refuses to build with a concurrency below 1, a negative queue or a nice outside 0..19", () =>
    Effect.gen(function* () {
      for (const options of [{ concurrency: 0 }, { concurrency: 1.5 }, { queue: -1 }, { nice: -1 }, { nice: 20 }]) {
        const exit = yield* Effect.exit(hasherWith({ cost: 4, ...options }))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      }
    }),
  )
})
