import { Layer, Logger } from "effect"
import type { AppConfig } from "./Config.js"

/** Where log lines go. */
export interface LineSink {
  /** Takes one line, its newline included. */
  readonly write: (line: string) => void
}

/** Lines held before they are written at once, whatever the loop turn: a bound on what a crash can lose. */
const MAX_HELD_CHARS = 64 * 1024

/**
 * Standard output, written once per turn of the event loop: the lines of every request answered
 * in one turn leave in one write (a write per line cost about a fifth of the throughput of
 * `GET /auth/me` with the request log on, measured with `me-vs-floor.sh`). What is held is written
 * when the process exits, and at once past 64 KiB.
 */
export const batchedStdout = (out: Pick<NodeJS.WriteStream, "write"> = process.stdout): LineSink => {
  let held: Array<string> = []
  let chars = 0
  let scheduled = false
  const flush = () => {
    scheduled = false
    if (held.length === 0) return
    const text = held.join("")
    held = []
    chars = 0
    out.write(text)
  }
  process.on("exit", flush)
  return {
    write: (line) => {
      held.push(line)
      chars += line.length
      if (chars >= MAX_HELD_CHARS) flush()
      else if (!scheduled) {
        scheduled = true
        setImmediate(flush)
      }
    },
  }
}

const isFlatValue = (value: unknown) => value === null || typeof value !== "object"

const isFlatRecord = (record: Readonly<Record<string, unknown>>) => {
  for (const key in record) if (!isFlatValue(record[key])) return false
  return true
}

/**
 * Effect's JSON line (`Logger.jsonLogger`), byte for byte: the common entry (a string message, flat
 * annotations) by `JSON.stringify` alone, anything else by Effect's own (errors, cycles, redaction).
 */
const jsonLine = (options: Logger.Logger.Options<unknown>) => {
  const entry = Logger.structuredLogger.log(options)
  return typeof entry.message === "string" && isFlatRecord(entry.annotations)
    ? JSON.stringify(entry)
    : Logger.jsonLogger.log(options)
}

/** The line each log entry is written as: JSON in production (for collectors), key=value otherwise. */
export const lineLogger = (production: boolean, sink: LineSink): Logger.Logger<unknown, void> =>
  production
    ? Logger.make((options) => sink.write(`${jsonLine(options)}\n`))
    : Logger.map(Logger.logfmtLogger, (line) => sink.write(`${line}\n`))

let stdout: LineSink | undefined

/** The one batching sink on standard output, made when first needed. */
const stdoutSink = () => {
  stdout ??= batchedStdout()
  return stdout
}

/** JSON lines in production (for collectors), readable lines otherwise; the level from LOG_LEVEL. */
export const loggerLayer = (config: Pick<AppConfig, "production" | "logLevel">, sink?: LineSink) =>
  Layer.merge(
    Logger.replace(Logger.defaultLogger, lineLogger(config.production, sink ?? stdoutSink())),
    Logger.minimumLogLevel(config.logLevel),
  )
