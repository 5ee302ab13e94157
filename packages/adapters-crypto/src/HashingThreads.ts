import { createRequire } from "node:module"
import { Worker } from "node:worker_threads"
import { Effect } from "effect"

/** One bcrypt call, on a password already prehashed (never the password as typed). */
export type Task =
  | { readonly op: "hash"; readonly password: string; readonly cost: number }
  | { readonly op: "verify"; readonly password: string; readonly hash: string }

/** Where bcrypt runs: `run` answers a hash (a string) or whether a hash matched; it dies if a thread fails. */
export interface HashingThreads {
  readonly run: (task: Task) => Effect.Effect<string | boolean>
}

export interface Options {
  /** How many threads at most (each runs one call at a time). */
  readonly size: number
  /** How much lower than the process's their OS priority is (a nice increment, 0..19; Linux only). */
  readonly nice: number
  /** How long a thread may rest before it ends, in ms. Defaults to IDLE_MS. */
  readonly idleMs?: number
}

/** A thread unused this long ends, by default; the next call starts one again (~20 ms). */
const IDLE_MS = 10_000

// The threads' code, evaluated as CommonJS: no file to resolve, with or without a TypeScript loader.
// A hash bcrypt cannot parse (another algorithm, a truncated column) is simply not a match.
const THREAD = `
const { parentPort, workerData } = require("node:worker_threads")
const bcrypt = require(workerData.bcrypt)
if (workerData.nice > 0 && process.platform === "linux") {
  // On Linux a priority is a thread's own: this lowers this thread's only.
  try { require("node:os").setPriority(0, workerData.nice) } catch {}
}
const verify = (task) => {
  try { return bcrypt.verifySync(task.password, task.hash) } catch { return false }
}
parentPort.on("message", (task) => {
  try {
    parentPort.postMessage({ value: task.op === "hash" ? bcrypt.hashSync(task.password, { cost: task.cost }) : verify(task) })
  } catch (error) {
    parentPort.postMessage({ failed: String(error && error.message) })
  }
})
`

const bcryptPath = createRequire(import.meta.url).resolve("@node-rs/bcrypt")

interface Pending {
  readonly task: Task
  readonly resume: (answer: Effect.Effect<string | boolean>) => void
}

/** What a thread answered, as sent. */
type Reply = { readonly value: string | boolean } | { readonly failed: string }

/** A thread's failure (it stopped, or bcrypt refused to hash): a defect, like a failing native call. */
export class HashingFailed extends Error {
  override readonly name = "HashingFailed"
}

/**
 * bcrypt on threads of its own, each calling bcrypt's synchronous API, at a lower OS priority than
 * the process (`nice`), so that the event loop, and with it every request that does not hash, is
 * scheduled first when the cores are busy hashing: on a shared 2-core machine under a login storm,
 * the loop's CPU per login fell by a fifth and more logins got through (see README, "Benchmarks").
 * Threads start on demand, up to `size`, and end after IDLE_MS without work; they never keep the
 * process alive. Calls beyond `size` wait in order (the hasher's own bound keeps them few).
 */
export const make = (options: Options): HashingThreads => {
  const idle: Array<Worker> = []
  const waiting: Array<Pending> = []
  let started = 0

  const spawn = (): Worker => {
    const worker = new Worker(THREAD, { eval: true, workerData: { bcrypt: bcryptPath, nice: options.nice } })
    worker.unref()
    started += 1
    return worker
  }

  /** Runs `pending` on `worker`, then hands the worker the next call, or lets it rest. */
  const dispatch = (worker: Worker, pending: Pending) => {
    const settle = (answer: Effect.Effect<string | boolean>) => {
      worker.off("message", onReply)
      worker.off("error", onCrash)
      worker.off("exit", onCrash)
      pending.resume(answer)
    }
    const onReply = (reply: Reply) => {
      settle("value" in reply ? Effect.succeed(reply.value) : Effect.die(new HashingFailed(reply.failed)))
      release(worker)
    }
    const onCrash = (error: unknown) => {
      started -= 1
      void worker.terminate()
      settle(Effect.die(new HashingFailed(`a hashing thread stopped: ${String(error)}`)))
      const next = waiting.shift()
      if (next !== undefined) dispatch(spawn(), next)
    }
    worker.on("message", onReply)
    worker.on("error", onCrash)
    worker.on("exit", onCrash)
    worker.postMessage(pending.task)
  }

  const idleMs = options.idleMs ?? IDLE_MS
  const restingSince = new WeakMap<Worker, number>()
  const release = (worker: Worker) => {
    const next = waiting.shift()
    if (next !== undefined) return dispatch(worker, next)
    idle.push(worker)
    restingSince.set(worker, performance.now())
    setTimeout(() => {
      const at = idle.indexOf(worker)
      // Still resting since this timer was set (not given work and back meanwhile): it ends.
      if (at < 0 || performance.now() - (restingSince.get(worker) ?? 0) < idleMs - 1) return
      idle.splice(at, 1)
      started -= 1
      void worker.terminate()
    }, idleMs).unref()
  }

  return {
    run: (task) =>
      Effect.async<string | boolean>((resume) => {
        const pending = { task, resume }
        const worker = idle.pop() ?? (started < options.size ? spawn() : undefined)
        if (worker === undefined) waiting.push(pending)
        else dispatch(worker, pending)
      }),
  }
}
