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
  /**
   * How many calls a thread is handed at once, at least 1: the one it runs and the next in its own
   * line, so that it starts the next the moment it is done, without waiting for the event loop.
   * Defaults to DEPTH.
   */
  readonly depth?: number
  /** How much lower than the event loop's their OS priority is (a nice increment, 0..19; Linux only). */
  readonly nice: number
  /** How long a thread may rest before it ends, in ms. Defaults to IDLE_MS. */
  readonly idleMs?: number
  /**
   * The threads' code, for tests that make one misbehave; the bcrypt thread unless given. It answers
   * each call in the order it was handed them, as bcrypt's synchronous calls do.
   */
  readonly source?: string
}

/** A thread unused this long ends, by default; the next call starts one again (~20 ms). */
const IDLE_MS = 10_000

/**
 * Calls a thread is handed at once, by default: the one it runs and the next. Without the next in
 * hand, a thread idled ~2.5 ms between two calls at cost 12 in a login storm (the answer reaching
 * the event loop, the next call reaching the thread), ~1% of its time.
 */
export const DEPTH = 2

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

/** A thread, and the calls it has been handed, in order: the first is the one it runs. */
interface Thread {
  readonly worker: Worker
  readonly handed: Array<Pending>
  restingSince: number
}

/**
 * bcrypt on threads of its own, each calling bcrypt's synchronous API, at a lower OS priority than
 * the event loop (by `nice`), so that the event loop, and with it every request that does not hash, is
 * scheduled first when the cores are busy hashing (see README, "Benchmarks"). Threads start on
 * demand, up to `size`, and end after `idleMs` without work; one keeps the process alive only while
 * it has a call. A call goes to a resting thread, else a new one, else the thread with the fewest
 * calls in hand, up to `depth` each.
 * Calls beyond those wait in order (the hasher's own bound keeps them few), each handed over as a
 * thread answers one; one interrupted while it waits leaves the line, one in a thread's hands runs
 * to its end. A thread that stops, at work or at rest, is dropped: the call it ran dies with
 * HashingFailed, those next in its hands are first in line again, and a new thread takes the first.
 */
export const make = (options: Options): HashingThreads => {
  const idleMs = options.idleMs ?? IDLE_MS
  const depth = Math.max(1, options.depth ?? DEPTH)
  const resting: Array<Thread> = []
  const waiting: Array<Pending> = []
  const alive = new Set<Thread>()

  const spawn = (): Thread => {
    const worker = new Worker(options.source ?? THREAD, {
      eval: true,
      workerData: { bcrypt: bcryptPath, nice: options.nice },
    })
    const thread: Thread = { worker, handed: [], restingSince: 0 }
    alive.add(thread)
    // A thread answers its calls in the order it was handed them.
    worker.on("message", (reply: Reply) => {
      const pending = thread.handed.shift()
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
      // The call it ran dies; those next in its hands never started: first in line again.
      const [running, ...next] = thread.handed.splice(0)
      running?.resume(Effect.die(new HashingFailed(`a hashing thread stopped (${code}): ${stopped}`)))
      waiting.unshift(...next)
      const first = waiting.shift()
      if (first !== undefined) start(first)
    })
    // A thread keeps the process alive while it has a call, never while it rests (a process that is
    // done, a CLI command, would wait idleMs). After the listeners: adding one refs it again.
    worker.unref()
    return thread
  }

  const dispatch = (thread: Thread, pending: Pending) => {
    thread.handed.push(pending)
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

  /** After a thread answered a call: it is handed the next in line, else it rests once its hands are empty. */
  const release = (thread: Thread) => {
    if (!alive.has(thread)) return
    const next = waiting.shift()
    if (next !== undefined) return dispatch(thread, next)
    if (thread.handed.length > 0) return
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

  /** The working thread with the fewest calls in hand, if one has fewer than `depth`. */
  const leastHanded = (): Thread | undefined => {
    let least: Thread | undefined
    for (const thread of alive)
      if (thread.handed.length < depth && (least === undefined || thread.handed.length < least.handed.length))
        least = thread
    return least
  }

  return {
    run: (task) =>
      Effect.async<string | boolean>((resume) => {
        const pending: Pending = { task, resume }
        const thread = resting.pop()
        if (thread !== undefined) return dispatch(thread, pending)
        if (alive.size < options.size) return start(pending)
        const least = leastHanded()
        if (least !== undefined) dispatch(least, pending)
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
