import { createInterface } from "node:readline"
import { Prompt } from "@effect/cli"
import { Config, Effect, Option, Redacted } from "effect"
import { CliFailure, ExitCode } from "./CliFailure.js"

/** Set for scripts: the password is then read from here and standard input is left alone. */
export const PASSWORD_VARIABLE = "USERKIT_SUPERUSER_PASSWORD"

// Prompt.hidden echoes nothing at all (Prompt.password would echo one '*' per character).
const fromTerminal = Effect.gen(function* () {
  const first = yield* Prompt.hidden({ message: "Password" })
  const again = yield* Prompt.hidden({ message: "Password (again)" })
  if (Redacted.value(first) !== Redacted.value(again))
    return yield* new CliFailure({ reason: "the two passwords do not match", code: ExitCode.usage })
  return first
}).pipe(
  Effect.catchTag("QuitException", () =>
    Effect.fail(new CliFailure({ reason: "cancelled", code: ExitCode.cancelled })),
  ),
)

// The first line of a pipe or file, without its line ending; the rest is not read.
const fromFirstLine = Effect.async<Redacted.Redacted<string>, CliFailure>((resume) => {
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY })
  let answered = false
  lines.once("line", (line) => {
    answered = true
    lines.close()
    resume(Effect.succeed(Redacted.make(line)))
  })
  lines.once("close", () => {
    if (answered) return
    resume(
      Effect.fail(
        new CliFailure({
          reason: `no password: standard input was empty (pipe one line, or set ${PASSWORD_VARIABLE})`,
          code: ExitCode.usage,
        }),
      ),
    )
  })
  return Effect.sync(() => lines.close())
})

/**
 * The new superuser's password, never echoed: from USERKIT_SUPERUSER_PASSWORD when set, else asked
 * twice without echo when standard input is a terminal, else the first line of standard input.
 */
export const readPassword = Effect.gen(function* () {
  const fromEnvironment = yield* Config.option(Config.redacted(PASSWORD_VARIABLE)).pipe(
    Effect.orElseSucceed(() => Option.none()),
  )
  if (Option.isSome(fromEnvironment)) return fromEnvironment.value
  return yield* process.stdin.isTTY ? fromTerminal : fromFirstLine
})
