import type { Server } from "node:http"
import { Cause, ConfigError, Effect, Exit, Layer, Option } from "effect"
import { AppConfig, describeConfigError } from "./Config.js"
import { appLayer } from "./Live.js"
import { loggerLayer } from "./Logging.js"
import { createNodeServer } from "./NodeServer.js"
import { resolveSecretKey } from "./SecretKey.js"
import { runWorkers, servesItself } from "./Workers.js"

// How long in-flight requests may take to finish after SIGTERM before connections are cut.
const GRACE_MS = 10_000

const program = Effect.gen(function* () {
  const config = yield* AppConfig
  if (!servesItself(config.webConcurrency))
    return yield* Effect.gen(function* () {
      if (Option.isSome(config.limits) && Option.isNone(config.redisUrl))
        yield* Effect.logWarning(
          `WEB_CONCURRENCY=${config.webConcurrency} without REDIS_URL: each worker counts the rate limits apart`,
        )
      yield* runWorkers(config.webConcurrency)
    }).pipe(Effect.provide(loggerLayer(config)))
  const server = createNodeServer(config.server)
  stopGracefullyOnSignals(server)
  return yield* Effect.gen(function* () {
    const secretKey = yield* resolveSecretKey(config)
    if (config.store.kind === "memory")
      yield* Effect.logWarning(
        "USERKIT_STORE=memory: nothing is persisted, every account is lost when the process stops",
      )
    yield* Layer.launch(appLayer(config, secretKey, () => server))
  }).pipe(Effect.provide(loggerLayer(config)))
})

const fiber = Effect.runFork(program)

fiber.addObserver((exit) => {
  if (Exit.isSuccess(exit) || Exit.isInterrupted(exit)) process.exit(0)
  const failure = Cause.failureOption(exit.cause)
  const message =
    failure._tag === "Some"
      ? ConfigError.isConfigError(failure.value)
        ? describeConfigError(failure.value)
        : failure.value.message
      : Cause.pretty(exit.cause)
  process.stderr.write(`userkit could not start: ${message}\n`)
  process.exit(1)
})

// A graceful stop: refuse new connections, let in-flight requests finish, then close the pool and
// the embedded engine (the layer's finalizers) by interrupting the main fiber. A function declaration:
// the program installs it, before `fiber` is assigned.
function stopGracefullyOnSignals(server: Server) {
  const stop = () => {
    process.off("SIGTERM", stop)
    process.off("SIGINT", stop)
    const finish = () => fiber.unsafeInterruptAsFork(fiber.id())
    const idle = setInterval(() => server.closeIdleConnections(), 100)
    const deadline = setTimeout(() => {
      server.closeAllConnections()
      finish()
    }, GRACE_MS)
    server.close(() => {
      clearInterval(idle)
      clearTimeout(deadline)
      finish()
    })
  }
  process.on("SIGTERM", stop)
  process.on("SIGINT", stop)
}
