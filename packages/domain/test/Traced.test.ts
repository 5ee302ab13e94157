import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import { traced } from "../src/index.js"

/** The name and attributes of the span the effect runs in, if any. */
const currentSpan = Effect.map(
  Effect.option(Effect.currentSpan),
  Option.map((span) => ({ name: span.name, attributes: Object.fromEntries(span.attributes) })),
)

describe("traced", () => {
  it.effect("spans the effect, with its attributes, where the tracer is on (Effect's default)", () =>
    Effect.gen(function* () {
      const spanned = currentSpan.pipe(traced("Hot.path", { attributes: { purpose: "test" } }))
      expect(yield* spanned).toEqual(Option.some({ name: "Hot.path", attributes: { purpose: "test" } }))
    }),
  )

  it.effect("adds nothing where the tracer is off when it runs, whatever it was when it was made", () =>
    Effect.gen(function* () {
      const spanned = currentSpan.pipe(traced("Hot.path"))
      expect(yield* spanned.pipe(Effect.withTracerEnabled(false))).toEqual(Option.none())
      expect(yield* spanned).toEqual(Option.some({ name: "Hot.path", attributes: {} }))
    }),
  )
})
