import { parseArgs } from "node:util"

/** A bad command line: run.ts prints the message and the usage, and exits 2. */
export class UsageError extends Error {}

export interface BenchOptions {
  readonly duration: number
  readonly warmup: number
  readonly connections: number
  readonly profile: boolean
  /** The server's LOG_LEVEL: warn by default; info adds the one line per request production writes. */
  readonly logLevel: "warn" | "info"
}

export const optionsUsage = `options:
  --duration N      measured run in seconds (default 15)
  --warmup N        warm-up run in seconds before it (default 10; after only 3 s throughput is still climbing)
  --connections N   concurrent connections (default 32)
  --profile         run the server with --cpu-prof and print where its CPU time goes
  --log-level L     the server's LOG_LEVEL: warn (default) or info (one log line per request, as in production)`

const whole = (name: string, raw: string | undefined, fallback: number, max: number): number => {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < 1 || n > max)
    throw new UsageError(`--${name} must be a whole number from 1 to ${max}, got "${raw}"`)
  return n
}

const logLevelOf = (raw: string | undefined): "warn" | "info" => {
  if (raw === undefined || raw === "warn" || raw === "info") return raw ?? "warn"
  throw new UsageError(`--log-level must be warn or info, got "${raw}"`)
}

export const parseOptions = (args: ReadonlyArray<string>): BenchOptions => {
  let values: { duration?: string; warmup?: string; connections?: string; profile?: boolean; "log-level"?: string }
  try {
    values = parseArgs({
      args: [...args],
      options: {
        duration: { type: "string" },
        warmup: { type: "string" },
        connections: { type: "string" },
        profile: { type: "boolean" },
        "log-level": { type: "string" },
      },
    }).values
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error))
  }
  return {
    duration: whole("duration", values.duration, 15, 600),
    warmup: whole("warmup", values.warmup, 10, 120),
    connections: whole("connections", values.connections, 32, 1024),
    profile: values.profile === true,
    logLevel: logLevelOf(values["log-level"]),
  }
}
