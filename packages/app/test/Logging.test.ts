import { afterEach, describe, expect, it, vi } from "@effect/vitest"
import { Effect, LogLevel } from "effect"
import { loggerLayer } from "../src/index.js"

/** What the loggers write with console.log, line by line, instead of printing it. */
const captureConsoleLog = () => {
  const lines: Array<string> = []
  vi.spyOn(console, "log").mockImplementation((line: unknown) => {
    lines.push(String(line))
  })
  return lines
}

describe("logs", () => {
  afterEach(() => {
    vi.restoreAllMocks()
  })

  it.effect("are one JSON object per line in production, filtered by LOG_LEVEL", () =>
    Effect.gen(function* () {
      const lines = captureConsoleLog()
      yield* Effect.logDebug("too detailed").pipe(
        Effect.provide(loggerLayer({ production: true, logLevel: LogLevel.Info })),
      )
      yield* Effect.logInfo("started").pipe(
        Effect.annotateLogs({ port: 8000 }),
        Effect.provide(loggerLayer({ production: true, logLevel: LogLevel.Info })),
      )
      expect(lines).toHaveLength(1)
      expect(JSON.parse(lines[0] ?? "")).toMatchObject({
        message: "started",
        logLevel: "INFO",
        annotations: { port: 8000 },
      })
    }),
  )

  it.effect("are readable key=value lines otherwise", () =>
    Effect.gen(function* () {
      const lines = captureConsoleLog()
      yield* Effect.logWarning("careful").pipe(
        Effect.provide(loggerLayer({ production: false, logLevel: LogLevel.Info })),
      )
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/level=WARN .*message=careful/)
    }),
  )
})
