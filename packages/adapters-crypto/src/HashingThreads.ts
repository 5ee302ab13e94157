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
  /** How much lower than the event loop's their OS priority is (a nice increment, 0..19; Linux only). */
  readonly nice: number
  /** How long a thread may rest before it ends, in ms. Defaults to IDLE_MS. */
  readonly idleMs?: number
  /** The threads' code, for tests that make one misbehave; the bcrypt thread unless given. */
  readonly source?: string
}

/** A thread unused this long ends, by default; the next call starts one again (~20 ms). */
const IDLE_MS = 10_000

// The threads' code, evaluated as CommonJS: no file to resolve, with or without a TypeScript loader.
// A hash bcrypt cannot parse (another algorithm, a truncated column) is simply not a match. The
// priority is lowered by `nice` from the thread's own (inherited from the event loop's): lowering
// is always allowed, so the call cannot fail for want of privileges.
const THREAD = `
const { parentPort, workerData } = require("node:worker_threads")
const bcrypt = require(workerData.bcrypt)
if (workerData.nice > 0 && process.platform === "linux") {
  // On Linux a priority is a thread's own: this lowers this thread's only.
  const os = require("node:os")
  try { os.setPriority(0, Math.min(19, os.getPriority(0) + workerData.nice)) } catch {}
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

/** A thread, and the call it runs, if any. */
interface Thread {
  readonly worker: Worker
  current: Pending | undefined
  restingSince: number
}

/**
 * bcrypt on threads of its own, each calling bcrypt's synchronous API, at a lower OS priority than
 * the event loop (by `nice`), so that the event loop, and with it every request that does not hash, is
 * scheduled first when the cores are busy hashing (see README, "Benchmarks"). Threads start on
 * demand, up to `size`, and end after `idleMs` without work; one keeps the process alive only while
 * it has a call.
 * Calls beyond `size` wait in order (the hasher's own bound keeps them few); one interrupted while
 * it waits leaves the line. A thread that stops, at work or at rest, is dropped: its call, if any,
 * dies with HashingFailed, and a new thread takes the next in line.
 */
export const make = (options: Options): HashingThreads => {
  const idleMs = options.idleMs ?? IDLE_MS
  const resting: Array<Thread> = []
  const waiting: Array<Pending> = []
  const alive = new Set<Thread>()

  const spawn = (): Thread => {
    const worker = new Worker(options.source ?? THREAD, {
      eval: true,
      workerData: { bcrypt: bcryptPath, nice: options.nice },
    })
    const thread: Thread = { worker, current: undefined, restingSince: 0 }
    alive.add(thread)
    worker.on("message", (reply: Reply) => {
      const pending = thread.current
      thread.current = undefined
      pending?.resume("value" in reply ? Effect.succeed(reply.value) : Effect.die(new HashingFailed(reply.failed)))
      release(thread)
    })
    // For its whole life: a thread that stops at rest must not be handed work, nor crash the process.
    let stopped = "it exited"
    worker.on("error", (error) => {
      stopped = String(error)
    })
    worker.on("exit", (code) => {
      if (!alive.delete(thread)) return
      const at = resting.indexOf(thread)
      if (at >= 0) resting.splice(at, 1)
      const pending = thread.current
      thread.current = undefined
      pending?.resume(Effect.die(new HashingFailed(`a hashing thread stopped (${code}): ${stopped}`)))
      const next = waiting.shift()
      if (next !== undefined) start(next)
    })
    // A thread keeps the process alive while it has a call, never while it rests (a process that is
    // done, a CLI command, would wait idleMs). After the listeners: adding one refs it again.
    worker.unref()
    return thread
  }

  const dispatch = (thread: Thread, pending: Pending) => {
    thread.current = pending
    thread.worker.ref()
    thread.worker.postMessage(pending.task)
  }

  /** On a new thread; if none can be made, the call dies. */
  const start = (pending: Pending) => {
    try {
      dispatch(spawn(), pending)
    } catch (error) {
      pending.resume(Effect.die(new HashingFailed(`no hashing thread could start: ${String(error)}`)))
    }
  }

  const release = (thread: Thread) => {
    if (!alive.has(thread)) return
    const next = waiting.shift()
    if (next !== undefined) return dispatch(thread, next)
    thread.worker.unref()
    resting.push(thread)
    const since = performance.now()
    thread.restingSince = since
    setTimeout(() => {
      // Still resting since this timer was set (not given work and back meanwhile): it ends.
      const at = resting.indexOf(thread)
      if (at < 0 || thread.restingSince !== since) return
      resting.splice(at, 1)
      alive.delete(thread)
      void thread.worker.terminate()
    }, idleMs).unref()
  }

  return {
    run: (task) =>
      Effect.async<string | boolean>((resume) => {
        const pending: Pending = { task, resume }
        const thread = resting.pop()
        if (thread !== undefined) dispatch(thread, pending)
        else if (alive.size < options.size) start(pending)
        else {
          waiting.push(pending)
          return Effect.sync(() => {
            const at = waiting.indexOf(pending)
            if (at >= 0) waiting.splice(at, 1)
          })
        }
      }),
  }
}
