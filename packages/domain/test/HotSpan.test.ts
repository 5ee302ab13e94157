import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { hotSpan } from "../src/index.js"

/** The name of the span the effect runs in, if any. */
const spanName = Effect.map(
  Effect.option(Effect.currentSpan),
  Option.map((span) => span.name),
)

describe("hotSpan", () => {
  it.effect("spans the effect where the tracer is on when it is made (Effect's default)", () =>
    Effect.gen(function* () {
      const span = yield* hotSpan("Hot.path")
      expect(yield* span(spanName)).toEqual(Option.some("Hot.path"))
    }),
  )

  it.effect("adds nothing where the tracer is off when it is made, whatever it is when it runs", () =>
    Effect.gen(function* () {
      const span = yield* hotSpan("Hot.path").pipe(Effect.withTracerEnabled(false))
      expect(yield* span(spanName)).toEqual(Option.none())
    }),
  )
})
