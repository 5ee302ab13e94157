import { describe, expect, it } from "@effect/vitest"
import { Effect, type Layer, Logger, LogLevel, Redacted } from "effect"
import { batchedStdout, type LineSink, lineLogger, loggerLayer } from "../src/index.js"

/** A sink that keeps the lines it is given. */
const capture = () => {
  const lines: Array<string> = []
  const sink: LineSink = { write: (line) => lines.push(line) }
  return { lines, sink }
}

/** An output stream that records each write it is asked for. */
const recordingOut = () => {
  const writes: Array<string> = []
  return { writes, out: { write: (text: string) => writes.push(text) > 0 } }
}

const nextTurn = () => Effect.promise(() => new Promise<void>((resolve) => setImmediate(resolve)))

describe("logs", () => {
  it.effect("are one JSON object per line in production, filtered by LOG_LEVEL", () =>
    Effect.gen(function* () {
      const { lines, sink } = capture()
      const production = loggerLayer({ production: true, logLevel: LogLevel.Info }, sink)
      yield* Effect.logDebug("too detailed").pipe(Effect.provide(production))
      yield* Effect.logInfo("started").pipe(Effect.annotateLogs({ port: 8000 }), Effect.provide(production))
      expect(lines).toHaveLength(1)
      expect(lines[0]?.endsWith("}\n")).toBe(true)
      expect(JSON.parse(lines[0] ?? "")).toMatchObject({
        message: "started",
        logLevel: "INFO",
        annotations: { port: 8000 },
      })
    }),
  )

  it.effect("are Effect's own JSON lines, byte for byte, flat or nested, with secrets redacted", () =>
    Effect.gen(function* () {
      const { lines, sink } = capture()
      const effects: Array<string> = []
      const both = Logger.replace(
        Logger.defaultLogger,
        Logger.zip(
          lineLogger(true, sink),
          Logger.map(Logger.jsonLogger, (line) => effects.push(`${line}\n`)),
        ),
      )
      const cycle: Record<string, unknown> = { name: "a cycle" }
      cycle.self = cycle
      yield* Effect.gen(function* () {
        yield* Effect.logInfo("flat").pipe(Effect.annotateLogs({ status: 200, route: "/x", ok: true, none: null }))
        yield* Effect.logWarning("nested").pipe(
          Effect.annotateLogs({ detail: { a: [1, 2] }, secret: Redacted.make("hunter2") }),
        )
        yield* Effect.logError("two parts", { cycle })
        yield* Effect.logInfo("with a span").pipe(Effect.withLogSpan("work"))
        yield* Effect.logError("failed", new Error("boom"))
      }).pipe(Effect.provide(both))
      expect(lines).toEqual(effects)
      expect(lines.join("")).not.toContain("hunter2")
    }),
  )

  it.effect("are readable key=value lines otherwise", () =>
    Effect.gen(function* () {
      const { lines, sink } = capture()
      yield* Effect.logWarning("careful").pipe(
        Effect.provide(loggerLayer({ production: false, logLevel: LogLevel.Info }, sink)),
      )
      expect(lines).toHaveLength(1)
      expect(lines[0]).toMatch(/level=WARN .*message=careful\n$/)
    }),
  )

  it.effect("leave in one write per turn of the event loop, and at once past 64 KiB", () =>
    Effect.gen(function* () {
      const { writes, out } = recordingOut()
      const sink = batchedStdout(out)
      sink.write("one\n")
      sink.write("two\n")
      expect(writes).toEqual([])
      yield* nextTurn()
      expect(writes).toEqual(["one\ntwo\n"])
      sink.write("three\n")
      const long = `${"x".repeat(64 * 1024)}\n`
      sink.write(long)
      expect(writes).toEqual(["one\ntwo\n", `three\n${long}`])
      yield* nextTurn()
      expect(writes).toHaveLength(2)
    }),
  )

  it.effect("still held when the process exits are written then", () =>
    Effect.gen(function* () {
      const { writes, out } = recordingOut()
      const sink = batchedStdout(out)
      sink.write("last words\n")
      process.emit("exit", 0)
      expect(writes).toEqual(["last words\n"])
      yield* nextTurn()
      expect(writes).toEqual(["last words\n"])
    }),
  )
})

// The layer the app uses, as a value: its type is what main.ts provides.
export const _layer: Layer.Layer<never> = loggerLayer({ production: true, logLevel: LogLevel.Info })
