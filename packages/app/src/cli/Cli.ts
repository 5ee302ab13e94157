import { Command, ValidationError } from "@effect/cli"
import { Cause, Console, Effect, Exit, Logger, Option } from "effect"
import packageJson from "../../package.json" with { type: "json" }
import { CliFailure, ExitCode } from "./CliFailure.js"
import { createSuperuser } from "./CreateSuperuser.js"
import { migrate } from "./Migrate.js"

const userkit = Command.make("userkit", {}, () =>
  Effect.fail(
    new CliFailure({ reason: "missing command: userkit migrate|create-superuser (see --help)", code: ExitCode.usage }),
  ),
).pipe(
  Command.withDescription(
    "Operate a userkit deployment, configured by the same environment variables as the server (DATABASE_URL, DATA_DIR, USERKIT_STORE, ...).",
  ),
  Command.withSubcommands([migrate, createSuperuser]),
)

/** Runs `userkit` on `process.argv`: the first two entries (node and the script) are skipped. */
export const runCli = Command.run(userkit, { name: "userkit", version: packageJson.version, executable: "userkit" })

// One line on stderr, never a stack. @effect/cli has already printed its own usage errors.
const report = (cause: Cause.Cause<CliFailure | ValidationError.ValidationError>) => {
  if (Cause.isInterruptedOnly(cause)) return Effect.void
  return Option.match(Cause.failureOption(cause), {
    onSome: (error) => (error._tag === "CliFailure" ? Console.error(`userkit: ${error.reason}`) : Effect.void),
    onNone: () => {
      const defect = Cause.squash(cause)
      const message = defect instanceof Error ? defect.message : String(defect)
      return Console.error(`userkit: unexpected failure: ${message.replace(/\s+/g, " ")}`)
    },
  })
}

// Log lines ("applied migrations: ..." before create-superuser, ...) go to stderr, so stdout holds only results.
const logToStderr = Logger.replace(Logger.defaultLogger, Logger.withConsoleError(Logger.logfmtLogger))

/** `userkit` on `argv` (as runCli) as its process runs it: results on stdout, the rest on stderr. */
export const cli = (argv: ReadonlyArray<string>) =>
  runCli(argv).pipe(Effect.tapErrorCause(report), Effect.provide(logToStderr))

/** The process's exit code once `cli` has ended. */
export const exitCodeOf = (exit: Exit.Exit<unknown, unknown>): number => {
  if (Exit.isSuccess(exit)) return 0
  if (Cause.isInterruptedOnly(exit.cause)) return ExitCode.cancelled
  return Option.match(Cause.failureOption(exit.cause), {
    onNone: () => ExitCode.failure,
    onSome: (error) =>
      error instanceof CliFailure
        ? error.code
        : ValidationError.isValidationError(error)
          ? ExitCode.usage
          : ExitCode.failure,
  })
}
