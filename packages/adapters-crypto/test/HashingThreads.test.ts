import { readdirSync, readFileSync } from "node:fs"
import { describe, expect, it } from "@effect/vitest"
import * as bcrypt from "@node-rs/bcrypt"
import { Duration, Effect } from "effect"
import { HashingThreads } from "../src/index.js"

/** This process's threads at OS priority `nice`, from /proc (Linux, where a priority is a thread's own). */
const threadsAtNice = (nice: number) =>
  readdirSync("/proc/self/task").filter((tid) => {
    const fields = readFileSync(`/proc/self/task/${tid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? []
    return Number(fields[16]) === nice
  }).length

const password = "a-prehashed-password-of-44-characters-long=="

describe("HashingThreads", () => {
  it.live("hashes and verifies as bcrypt does; a hash it cannot parse is no match", () =>
    Effect.gen(function* () {
      const threads = HashingThreads.make({ size: 2, nice: 0 })
      const hash = yield* threads.run({ op: "hash", password, cost: 4 })
      expect(typeof hash === "string" && (yield* Effect.promise(() => bcrypt.verify(password, hash)))).toBe(true)
      expect(yield* threads.run({ op: "verify", password, hash: String(hash) })).toBe(true)
      expect(yield* threads.run({ op: "verify", password: `${password}!`, hash: String(hash) })).toBe(false)
      expect(yield* threads.run({ op: "verify", password, hash: "not a bcrypt hash" })).toBe(false)
    }),
  )

  it.live("a hash bcrypt refuses to make is a defect", () =>
    Effect.gen(function* () {
      const threads = HashingThreads.make({ size: 1, nice: 0 })
      const exit = yield* Effect.exit(threads.run({ op: "hash", password, cost: 99 }))
      expect(exit._tag).toBe("Failure")
      // The thread is fine after it: the next call is answered.
      expect(typeof (yield* threads.run({ op: "hash", password, cost: 4 }))).toBe("string")
    }),
  )

  it.live("runs every call given at once, `size` at a time, each answered with its own result", () =>
    Effect.gen(function* () {
      const threads = HashingThreads.make({ size: 2, nice: 0 })
      const passwords = ["a", "b", "c"]
      const hashes = yield* Effect.forEach(passwords, (p) => threads.run({ op: "hash", password: p, cost: 4 }))
      // Twelve at once: each password against each hash, so a third match; an answer given to the
      // wrong call would show as a mismatch.
      const checks = Array.from({ length: 12 }, (_, i) => ({ p: i % 3, h: Math.floor(i / 3) % 3 }))
      const answers = yield* Effect.forEach(
        checks,
        ({ p, h }) => threads.run({ op: "verify", password: passwords[p] ?? "", hash: String(hashes[h]) }),
        { concurrency: "unbounded" },
      )
      expect(answers).toEqual(checks.map(({ p, h }) => p === h))
    }),
  )

  // Linux only, as the priority is: CI and the Docker image run there.
  it.live("its threads run at the lower priority, and end after resting", () =>
    Effect.gen(function* () {
      // A nice no other thread of this process has.
      const nice = 13
      expect(threadsAtNice(nice)).toBe(0)
      const threads = HashingThreads.make({ size: 2, nice, idleMs: 100 })
      yield* Effect.forEach([1, 2], () => threads.run({ op: "hash", password, cost: 6 }), { concurrency: 2 })
      expect(threadsAtNice(nice)).toBe(2)
      // The process's own priority, the event loop's, is untouched.
      expect(readFileSync(`/proc/self/task/${process.pid}/stat`, "utf8").split(") ")[1]?.split(" ")[16]).toBe("0")
      yield* Effect.sleep(Duration.millis(600))
      expect(threadsAtNice(nice)).toBe(0)
      // And starts again on demand.
      expect(yield* threads.run({ op: "verify", password, hash: "x" })).toBe(false)
    }),
  )
})
