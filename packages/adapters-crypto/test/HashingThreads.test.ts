import { spawn } from "node:child_process"
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { pathToFileURL } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import * as bcrypt from "@node-rs/bcrypt"
import { Cause, Duration, Effect, Exit, Fiber, Option } from "effect"
import { HashingThreads } from "../src/index.js"

/** A thread's nice, from its /proc stat line. */
const niceOf = (path: string) => Number(readFileSync(path, "utf8").split(") ")[1]?.split(" ")[16])

/** The message of the HashingFailed an exit died with, or undefined. */
const failedWith = (exit: Exit.Exit<unknown>) =>
  Option.getOrUndefined(
    Option.flatMap(Exit.isFailure(exit) ? Cause.dieOption(exit.cause) : Option.none(), (defect) =>
      defect instanceof HashingThreads.HashingFailed ? Option.some(defect.message) : Option.none(),
    ),
  )

/** This process's threads at OS priority `nice`, from /proc (Linux, where a priority is a thread's own). */
const threadsAtNice = (nice: number) =>
  readdirSync("/proc/self/task").filter((tid) => {
    try {
      return niceOf(`/proc/self/task/${tid}/stat`) === nice
    } catch {
      return false
    }
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

  it.live("a hash bcrypt refuses to make is a defect, HashingFailed; the next call is answered", () =>
    Effect.gen(function* () {
      const threads = HashingThreads.make({ size: 1, nice: 0 })
      const exit = yield* Effect.exit(threads.run({ op: "hash", password, cost: 99 }))
      expect(failedWith(exit)).toMatch(/cost/)
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

  it.live("keeps no process alive once its calls are answered: a resting thread is no reason to stay", () =>
    Effect.gen(function* () {
      // A process that hashes once with threads that rest a minute: it must end on its own, long before.
      const source = new URL("../src/HashingThreads.ts", import.meta.url).href
      const script = join(mkdtempSync(join(tmpdir(), "hashing-threads-")), "once.mjs")
      writeFileSync(
        script,
        `const { Effect } = await import(${JSON.stringify(pathToFileURL(createRequire(import.meta.url).resolve("effect")).href)})
const { make } = await import(${JSON.stringify(source)})
const threads = make({ size: 1, nice: 0, idleMs: 60000 })
console.log(typeof (await Effect.runPromise(threads.run({ op: "hash", password: "p", cost: 4 }))))`,
      )
      const started = Date.now()
      const { code, stdout } = yield* Effect.async<{ readonly code: number | null; readonly stdout: string }>(
        (resume) => {
          const child = spawn(process.execPath, ["--import", "tsx", script], {
            cwd: new URL("..", import.meta.url),
            stdio: ["ignore", "pipe", "inherit"],
          })
          let out = ""
          child.stdout.on("data", (chunk: Buffer) => {
            out += chunk.toString()
          })
          const killer = setTimeout(() => child.kill("SIGKILL"), 45_000)
          child.on("exit", (exitCode) => {
            clearTimeout(killer)
            resume(Effect.succeed({ code: exitCode, stdout: out }))
          })
        },
      )
      expect({ code, stdout: stdout.trim() }).toEqual({ code: 0, stdout: "string" })
      expect(Date.now() - started).toBeLessThan(30_000)
    }),
  )

  // Linux only, as the priority is (a thread's own there): CI and the Docker image run there.
  it.live.runIf(process.platform === "linux")(
    "its threads run `nice` below the event loop, and end after resting",
    () =>
      Effect.gen(function* () {
        const loop = niceOf(`/proc/self/task/${process.pid}/stat`)
        // An increment that gives a priority no other thread of this process has.
        const nice = Math.min(19, loop + 13)
        const before = threadsAtNice(nice)
        // Resting a second before they end: long enough that neither ends before it is counted,
        // however slowly a busy machine resumes this fiber after the second answer.
        const threads = HashingThreads.make({ size: 2, nice: nice - loop, idleMs: 1_000 })
        yield* Effect.forEach([1, 2], () => threads.run({ op: "hash", password, cost: 6 }), { concurrency: 2 })
        expect(threadsAtNice(nice) - before).toBe(2)
        // The event loop's own priority is untouched.
        expect(niceOf(`/proc/self/task/${process.pid}/stat`)).toBe(loop)
        yield* Effect.sleep(Duration.millis(2_500))
        expect(threadsAtNice(nice)).toBe(before)
        // And starts again on demand.
        expect(yield* threads.run({ op: "verify", password, hash: "x" })).toBe(false)
      }),
  )
})

// A thread that answers "<password>:<how many calls it has had>", and misbehaves when asked to.
const misbehaving = `
const { parentPort } = require("node:worker_threads")
let calls = 0
parentPort.on("message", (task) => {
  calls += 1
  if (task.password === "exit now") process.exit(3)
  const answer = () => parentPort.postMessage({ value: task.password + ":" + calls })
  if (task.password === "slow") return setTimeout(answer, 150)
  answer()
  if (task.password === "exit after") setTimeout(() => process.exit(4), 20)
  if (task.password === "throw after") setTimeout(() => { throw new Error("thrown at rest") }, 20)
})
`

describe("HashingThreads when a thread misbehaves", () => {
  const call = (threads: HashingThreads.HashingThreads, p: string) =>
    threads.run({ op: "verify", password: p, hash: "" })

  it.live("a thread that stops during a call fails that call with HashingFailed; a new one takes the next", () =>
    Effect.gen(function* () {
      const threads = HashingThreads.make({ size: 1, nice: 0, source: misbehaving })
      const stopping = yield* Effect.fork(call(threads, "exit now"))
      const waiting = yield* Effect.fork(call(threads, "after"))
      expect(failedWith(yield* Fiber.await(stopping))).toMatch(/stopped \(3\)/)
      // The one waiting behind it is answered by a new thread: its first call.
      expect(yield* Fiber.join(waiting)).toBe("after:1")
    }),
  )

  it.live("a thread that stops, or throws, at rest is dropped, not handed the next call", () =>
    Effect.gen(function* () {
      for (const how of ["exit after", "throw after"]) {
        const threads = HashingThreads.make({ size: 1, nice: 0, source: misbehaving })
        expect(yield* call(threads, how)).toBe(`${how}:1`)
        yield* Effect.sleep(Duration.millis(150))
        // Answered by a new thread (its first call), within a second rather than never.
        expect(yield* Effect.timeout(call(threads, "next"), Duration.seconds(1))).toBe("next:1")
      }
    }),
  )

  it.live("a call interrupted while it waits for a thread leaves the line", () =>
    Effect.gen(function* () {
      const threads = HashingThreads.make({ size: 1, nice: 0, source: misbehaving })
      const running = yield* Effect.fork(call(threads, "slow"))
      const leaving = yield* Effect.fork(call(threads, "left"))
      yield* Effect.sleep(Duration.millis(20))
      yield* Fiber.interrupt(leaving)
      expect(yield* Fiber.join(running)).toBe("slow:1")
      // The thread's second call is this one: the interrupted one never ran.
      expect(yield* call(threads, "next")).toBe("next:2")
    }),
  )
})
