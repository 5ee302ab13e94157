import cluster, { type Worker } from "node:cluster"
import { Effect } from "effect"
import { StartupError } from "./SecretKey.js"

/**
 * WEB_CONCURRENCY > 1: this process (the primary) forks `count` workers that each run the whole
 * app and share the port (node's cluster hands connections round-robin); it serves nothing itself.
 * A worker that dies after it started listening is replaced; one that dies before (it could not
 * start: a bad setting, an unreachable database) stops them all, since its siblings would fail
 * alike. SIGTERM or SIGINT is passed to every worker, each drains its requests as a single process
 * does, and the primary exits once the last one has.
 */
export const runWorkers = (count: number): Effect.Effect<void, StartupError> =>
  Effect.async<void, StartupError>((resume) => {
    const listening = new Set<number>()
    let stopping = false
    let failed = false
    const live = (): Array<Worker> => Object.values(cluster.workers ?? {}).filter((w) => w !== undefined)
    const stopAll = () => {
      stopping = true
      for (const worker of live()) worker.process.kill("SIGTERM")
    }
    const onSignal = () => {
      process.off("SIGTERM", onSignal)
      process.off("SIGINT", onSignal)
      stopAll()
    }
    cluster.on("listening", (worker) => listening.add(worker.id))
    cluster.on("exit", (worker, code, signal) => {
      if (!stopping) {
        if (!listening.has(worker.id)) {
          failed = true
          stopAll()
        } else {
          process.stderr.write(`userkit: worker ${worker.process.pid} stopped (${signal ?? code}); starting another\n`)
          cluster.fork()
        }
      }
      if (stopping && live().length === 0)
        resume(failed ? Effect.fail(new StartupError({ reason: "a worker could not start (see above)" })) : Effect.void)
    })
    process.on("SIGTERM", onSignal)
    process.on("SIGINT", onSignal)
    for (let i = 0; i < count; i++) cluster.fork()
  })

/** Whether this process runs the app itself: a worker, or the only process. */
export const servesItself = (count: number) => count <= 1 || cluster.isWorker
