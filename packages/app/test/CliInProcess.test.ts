import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Logger, LogLevel } from "effect"
import { runCli } from "../src/cli/Cli.js"
import { CliFailure, ExitCode } from "../src/cli/CliFailure.js"
import { tempDir } from "./support/tempDir.js"

// The same commands as the `userkit` process runs (see Cli.test.ts), here in this process.
const userkit = (env: Record<string, string>, ...args: ReadonlyArray<string>) =>
  runCli(["node", "userkit", ...args]).pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.provide([NodeContext.layer, Logger.minimumLogLevel(LogLevel.None)]),
    Effect.either,
  )

const exitCode = (result: Either.Either<void, unknown>) =>
  Either.match(result, { onRight: () => 0, onLeft: (e) => (e instanceof CliFailure ? e.code : -1) })

describe("userkit migrate, in process", () => {
  it.scoped("reports pending migrations, applies them, reverts the latest and all, on the embedded engine", () =>
    Effect.gen(function* () {
      const env = { DATA_DIR: yield* tempDir }
      expect(exitCode(yield* userkit(env, "migrate", "status"))).toBe(ExitCode.failure)
      expect(exitCode(yield* userkit(env, "migrate", "up"))).toBe(0)
      expect(exitCode(yield* userkit(env, "migrate", "status"))).toBe(0)
      expect(exitCode(yield* userkit(env, "migrate", "up"))).toBe(0)
      expect(exitCode(yield* userkit(env, "migrate", "down"))).toBe(0)
      expect(exitCode(yield* userkit(env, "migrate", "status"))).toBe(ExitCode.failure)
      expect(exitCode(yield* userkit(env, "migrate", "down", "--to", "0"))).toBe(0)
      expect(exitCode(yield* userkit(env, "migrate", "down"))).toBe(0)
    }),
  )

  it.effect("refuses the memory store, a bad configuration and a missing command as usage errors", () =>
    Effect.gen(function* () {
      expect(exitCode(yield* userkit({ USERKIT_STORE: "memory" }, "migrate", "up"))).toBe(ExitCode.usage)
      expect(exitCode(yield* userkit({ BCRYPT_COST: "1" }, "migrate", "status"))).toBe(ExitCode.usage)
      expect(exitCode(yield* userkit({}))).toBe(ExitCode.usage)
    }),
  )

  it.live("says the database cannot be reached, without its URL", () =>
    Effect.gen(function* () {
      const result = yield* userkit({ DATABASE_URL: "postgres://u:hunter2@127.0.0.1:1/x" }, "migrate", "status")
      expect(exitCode(result)).toBe(ExitCode.failure)
      expect(String(Either.getLeft(result))).not.toContain("hunter2")
    }),
  )
})
