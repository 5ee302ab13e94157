import { describe, expect, it } from "@effect/vitest"
import { Effect, TestClock } from "effect"
import { uuidV7 } from "../src/index.js"

describe("uuidV7", () => {
  it.effect("sorts in the order ids were made, 5,000 within one millisecond (the sequence borrows the next)", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_800_000_000_000)
      const ids = yield* Effect.replicateEffect(uuidV7, 5000)
      expect(new Set(ids).size).toBe(ids.length)
      expect([...ids].sort()).toEqual(ids)
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      // The first carries the clock's millisecond; 5,000 ids overflow 12 bits at most once.
      const millisOf = (id: string) => Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)
      expect(millisOf(ids[0] ?? "")).toBe(1_800_000_000_000)
      expect(millisOf(ids[ids.length - 1] ?? "")).toBeLessThanOrEqual(1_800_000_000_002)
    }),
  )

  it.effect("takes a clock far behind the last id (another clock) as it is", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(1_900_000_000_000)
      yield* uuidV7
      yield* TestClock.setTime(1_000)
      const id = yield* uuidV7
      expect(Number.parseInt(id.replaceAll("-", "").slice(0, 12), 16)).toBe(1_000)
    }),
  )
})
