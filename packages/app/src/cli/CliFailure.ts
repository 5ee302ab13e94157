import type { SqlError } from "@effect/sql"
import type { DataDirectoryUnavailable, MigrationError } from "@userkit/adapters-postgres"
import { Effect, Option, Redacted, Schema } from "effect"
import { AppConfig, type AppConfig as AppConfigShape, describeConfigError, type StoreChoice } from "../Config.js"

/** Exit codes of `userkit`: a failure of the operation, or a usage/configuration/input error. */
export const ExitCode = { failure: 1, usage: 2, cancelled: 130 } as const

/** Why a command stops: one line for the operator, and the process's exit code. */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  reason: Schema.String,
  code: Schema.Number,
}) {
  override get message() {
    return this.reason
  }
}

/** The server's configuration, from the same environment variables; a bad one exits 2. */
export const loadConfig: Effect.Effect<AppConfigShape, CliFailure> = Effect.mapError(
  AppConfig,
  (error) => new CliFailure({ reason: describeConfigError(error), code: ExitCode.usage }),
)

const secretsOf = (store: StoreChoice): ReadonlyArray<string> => {
  if (store.kind !== "postgres") return []
  const url = Redacted.value(store.url)
  const password = Option.liftThrowable(() => decodeURIComponent(new URL(url).password))()
  return [url, ...Option.toArray(Option.filter(password, (p) => p.length > 0))]
}

/** `message` on one line, with the DATABASE_URL and its password cut out should a driver echo them. */
const scrub = (message: string, store: StoreChoice): string =>
  secretsOf(store)
    .reduce((text, secret) => text.split(secret).join("***"), message)
    .replace(/\s+/g, " ")
    .trim()

// pg reports "localhost" refusing on both ::1 and 127.0.0.1 as an AggregateError with no message.
const causeMessage = (cause: unknown): string | undefined =>
  cause instanceof AggregateError && cause.message === ""
    ? cause.errors.map((inner) => causeMessage(inner) ?? String(inner)).join("; ")
    : cause instanceof Error
      ? cause.message
      : undefined

/** The database could not be reached or refused the work: exit 1 with the driver's reason, no stack. */
export const databaseFailure =
  (store: StoreChoice) =>
  (error: SqlError.SqlError | MigrationError | DataDirectoryUnavailable): CliFailure => {
    const detail = error._tag === "SqlError" ? causeMessage(error.cause) : undefined
    const reason =
      detail === undefined || detail.length === 0 || error.message.includes(detail)
        ? error.message
        : `${error.message}: ${detail}`
    return new CliFailure({ reason: scrub(reason, store), code: ExitCode.failure })
  }
