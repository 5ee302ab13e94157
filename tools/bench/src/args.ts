import { type ParseArgsConfig, parseArgs } from "node:util"

/** A bad command line: run.ts prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

type LogLevel = "warn" | "info"

export interface BenchOptions {
  readonly duration: number
  readonly warmup: number
  readonly connections: number
  readonly profile: boolean
  /** The server's LOG_LEVEL: warn by default; info adds the one line per request production writes. */
  readonly logLevel: LogLevel
}

export interface LoginOptions {
  readonly duration: number
  readonly warmup: number
  readonly connections: number
  /** The server's BCRYPT_CONCURRENCY, when given; else its default. */
  readonly bcryptConcurrency: number | undefined
  /** The server's BCRYPT_NICE, when given; else its default. */
  readonly bcryptNice: number | undefined
  /** The wait between one /health probe's answer and the next probe, in ms. */
  readonly probeGap: number
  readonly profile: boolean
  readonly logLevel: LogLevel
}

export interface DirectoryOptions {
  readonly users: number
  readonly requests: number
  readonly warmup: number
  readonly profile: boolean
  readonly logLevel: LogLevel
}

const logLevelUsage =
  "  --log-level L     the server's LOG_LEVEL: warn (default) or info (one log line per request, as in production)"

export const optionsUsage = `options of me:
  --duration N      measured run in seconds (default 15)
  --warmup N        warm-up run in seconds before it (default 10; after only 3 s throughput is still climbing)
  --connections N   concurrent connections (default 32)
  --profile         run the server with --cpu-prof and print where its CPU time goes
${logLevelUsage}

options of login:
  --duration N      measured login storm in seconds (default 10)
  --warmup N        warm-up storm in seconds before it (default 2)
  --connections N   concurrent logins, 8 or more (default 8)
  --bcrypt-concurrency N   the server's BCRYPT_CONCURRENCY (default: the server's own)
  --bcrypt-nice N   the server's BCRYPT_NICE, 0-19 (default: the server's own)
  --probe-gap N     ms between a /health probe's answer and the next probe (default 10)
  --profile         run the server with --cpu-prof and print where its main thread's time goes in the storm
${logLevelUsage}

options of directory:
  --users N         users to seed, 1000 or more (default 1000000)
  --requests N      measured sequential requests per query (default 200)
  --warmup N        warm-up requests per query before them, not counted (default 20)
  --profile         run the server with --cpu-prof and print where its CPU time goes while measured
${logLevelUsage}`

const whole = (name: string, raw: string | undefined, fallback: number, max: number, min = 1): number => {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min || n > max)
    throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, got "${raw}"`)
  return n
}

const logLevelOf = (raw: string | undefined): LogLevel => {
  if (raw === undefined || raw === "warn" || raw === "info") return raw ?? "warn"
  throw new UsageError(`--log-level must be warn or info, got "${raw}"`)
}

/** Strict parsing of `--name value` options and boolean `--flag`s; anything else is a UsageError. */
const parseStrict = (
  args: ReadonlyArray<string>,
  strings: ReadonlyArray<string>,
  flags: ReadonlyArray<string> = [],
) => {
  const options: NonNullable<ParseArgsConfig["options"]> = {}
  for (const name of strings) options[name] = { type: "string" }
  for (const name of flags) options[name] = { type: "boolean" }
  let values: Readonly<Record<string, unknown>>
  try {
    values = parseArgs({ args: [...args], options }).values
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  return {
    text: (name: string): string | undefined => {
      const value = values[name]
      return typeof value === "string" ? value : undefined
    },
    flag: (name: string): boolean => values[name] === true,
  }
}

export const parseOptions = (args: ReadonlyArray<string>): BenchOptions => {
  const values = parseStrict(args, ["duration", "warmup", "connections", "log-level"], ["profile"])
  return {
    duration: whole("duration", values.text("duration"), 15, 600),
    warmup: whole("warmup", values.text("warmup"), 10, 120),
    connections: whole("connections", values.text("connections"), 32, 1024),
    profile: values.flag("profile"),
    logLevel: logLevelOf(values.text("log-level")),
  }
}

export const parseLoginOptions = (args: ReadonlyArray<string>): LoginOptions => {
  const values = parseStrict(
    args,
    ["duration", "warmup", "connections", "bcrypt-concurrency", "bcrypt-nice", "probe-gap", "log-level"],
    ["profile"],
  )
  const bcryptConcurrency = values.text("bcrypt-concurrency")
  const bcryptNice = values.text("bcrypt-nice")
  return {
    duration: whole("duration", values.text("duration"), 10, 600),
    warmup: whole("warmup", values.text("warmup"), 2, 120),
    connections: whole("connections", values.text("connections"), 8, 1024, 8),
    bcryptConcurrency:
      bcryptConcurrency === undefined ? undefined : whole("bcrypt-concurrency", bcryptConcurrency, 1, 1024),
    bcryptNice: bcryptNice === undefined ? undefined : whole("bcrypt-nice", bcryptNice, 0, 19, 0),
    probeGap: whole("probe-gap", values.text("probe-gap"), 10, 1000),
    profile: values.flag("profile"),
    logLevel: logLevelOf(values.text("log-level")),
  }
}

export const parseDirectoryOptions = (args: ReadonlyArray<string>): DirectoryOptions => {
  const values = parseStrict(args, ["users", "requests", "warmup", "log-level"], ["profile"])
  return {
    users: whole("users", values.text("users"), 1_000_000, 10_000_000, 1_000),
    requests: whole("requests", values.text("requests"), 200, 100_000),
    warmup: whole("warmup", values.text("warmup"), 20, 10_000),
    profile: values.flag("profile"),
    logLevel: logLevelOf(values.text("log-level")),
  }
}
