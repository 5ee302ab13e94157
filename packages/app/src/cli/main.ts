import { ValidationError } from "@effect/cli"
import * as NodeContext from "@effect/platform-node/NodeContext"
import * as NodeRuntime from "@effect/platform-node/NodeRuntime"
import { Cause, Console, Effect, Exit, Logger, Option } from "effect"
import { runCli } from "./Cli.js"
import { CliFailure, ExitCode } from "./CliFailure.js"

const exitCodeOf = (cause: Cause.Cause<unknown>): number => {
  if (Cause.isInterruptedOnly(cause)) return ExitCode.cancelled
  return Option.match(Cause.failureOption(cause), {
    onNone: () => ExitCode.failure,
    onSome: (error) =>
      error instanceof CliFailure
        ? error.code
        : ValidationError.isValidationError(error)
          ? ExitCode.usage
          : ExitCode.failure,
  })
}

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

runCli(process.argv).pipe(
  Effect.tapErrorCause(report),
  Effect.provide([NodeContext.layer, logToStderr]),
  NodeRuntime.runMain({
    disableErrorReporting: true,
    disablePrettyLogger: true,
    teardown: (exit, onExit) => onExit(Exit.isSuccess(exit) ? 0 : exitCodeOf(exit.cause)),
  }),
)
