import { createHash } from "node:crypto"
import { createClient, ErrorReply, TimeoutError } from "@redis/client"
import { StoreUnavailable } from "@userkit/domain"
import { Clock, Duration, Effect, Redacted, Runtime, type Scope } from "effect"

const DEFAULT_TIMEOUT = Duration.millis(500)
// Timeouts run on this clock, not the Clock service: a TestClock must not stop them from firing.
const realClock = Clock.make()

export interface Options {
  /** redis[s]://[[username][:password]@]host[:port][/db-number] */
  readonly url: Redacted.Redacted<string>
  /**
   * How long a command may wait for its answer before it fails with StoreUnavailable; 500 ms when
   * absent. While the client is not connected, commands fail at once instead of queueing.
   */
  readonly timeout?: Duration.DurationInput | undefined
}

/** A Lua script and its SHA-1, by which Redis runs it once it has seen it. */
export interface Script {
  readonly name: string
  readonly source: string
  readonly sha1: string
}

export const script = (name: string, source: string): Script => ({
  name,
  source,
  sha1: createHash("sha1").update(source).digest("hex"),
})

/** What an adapter needs from Redis. Each failure is a defect: StoreUnavailable when Redis cannot answer. */
export interface RedisConnection {
  /** Runs `script` on `keys` and `args` atomically, as one EVALSHA (or EVAL when Redis has not seen it). */
  readonly evaluate: (
    script: Script,
    keys: ReadonlyArray<string>,
    args: ReadonlyArray<string>,
  ) => Effect.Effect<unknown>
  readonly send: (command: ReadonlyArray<string>) => Effect.Effect<unknown>
}

// Replies that say Redis is there but cannot serve now (starting, busy, failing over, out of memory).
const unavailableReply = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY|OOM)\b/

/**
 * A failure as the defect it is: StoreUnavailable when Redis cannot be reached or cannot serve,
 * else an Error naming what failed. Messages come from the client or Redis and quote no key.
 */
const defect = (what: string, timeoutMillis: number) => (error: unknown) =>
  error instanceof ErrorReply && !unavailableReply.test(error.message)
    ? new Error(`Redis refused ${what}: ${error.message}`)
    : new StoreUnavailable({ store: "redis", reason: reasonOf(error, timeoutMillis) })

const reasonOf = (error: unknown, timeoutMillis: number) =>
  error instanceof TimeoutError
    ? `no answer within ${timeoutMillis} ms`
    : error instanceof Error
      ? error.message
      : "unknown failure"

/**
 * A client of one Redis, closed with the scope. Building it waits at most a second for Redis, then
 * connects and reconnects in the background: the service starts and answers while Redis is down,
 * and picks it up when it comes. Unreachability is logged once per outage, not once per retry.
 */
export const connect = (options: Options): Effect.Effect<RedisConnection, never, Scope.Scope> =>
  Effect.gen(function* () {
    const timeoutMillis = Duration.toMillis(options.timeout ?? DEFAULT_TIMEOUT)
    const connectTimeoutMillis = Math.max(timeoutMillis, 1000)
    const runFork = Runtime.runFork(yield* Effect.runtime<never>())
    const client = yield* Effect.acquireRelease(
      Effect.try({
        try: () =>
          createClient({
            url: Redacted.value(options.url),
            // Without a connection, a command fails now rather than waits for one.
            disableOfflineQueue: true,
            commandOptions: { timeout: timeoutMillis },
            socket: { connectTimeout: connectTimeoutMillis },
          }),
        // The client's message may quote the URL, and with it the password.
        catch: () => new Error("the Redis URL is not valid: expected redis[s]://[[user][:password]@]host[:port][/db]"),
      }).pipe(
        Effect.orDie,
        Effect.tap((client) => {
          let reachable = true
          client.on("error", (error: unknown) => {
            if (!reachable) return
            reachable = false
            runFork(Effect.logWarning(`Redis is unreachable (${reasonOf(error, timeoutMillis)}); retrying`))
          })
          client.on("ready", () => {
            if (!reachable) runFork(Effect.logInfo("Redis is reachable again"))
            reachable = true
          })
        }),
      ),
      (client) => Effect.sync(() => client.destroy()),
    )
    // Resolves once connected, retrying with backoff until then; rejects only when destroyed. The
    // first decisions should find it connected, so wait for it a moment; a Redis still down by then
    // is retried in the background.
    const connected = client.connect().then(
      () => true,
      () => false,
    )
    yield* Effect.promise(() => connected).pipe(Effect.timeoutOption(connectTimeoutMillis), Effect.withClock(realClock))

    // The client's own timeout only covers a command not yet written: one that Redis received and
    // never answers would wait as long as the connection lives. So the timeout is ours.
    const call = (command: ReadonlyArray<string>) =>
      Effect.tryPromise({
        try: (signal) => client.sendCommand(command, { abortSignal: signal }),
        catch: (e) => e,
      }).pipe(
        Effect.timeoutFail({ duration: timeoutMillis, onTimeout: () => new TimeoutError() }),
        Effect.withClock(realClock),
      )

    return {
      evaluate: (script, keys, args) => {
        const run = (how: "EVALSHA" | "EVAL", body: string) => call([how, body, String(keys.length), ...keys, ...args])
        return run("EVALSHA", script.sha1).pipe(
          Effect.catchIf(
            (error) => error instanceof ErrorReply && error.message.startsWith("NOSCRIPT"),
            () => run("EVAL", script.source),
          ),
          Effect.mapError(defect(`the ${script.name} script`, timeoutMillis)),
          Effect.orDie,
        )
      },
      send: (command) =>
        call(command).pipe(Effect.mapError(defect(command[0] ?? "a command", timeoutMillis)), Effect.orDie),
    }
  })
