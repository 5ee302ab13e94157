import { describe, expect, it } from "@effect/vitest"
import { Duration } from "effect"
import { BackoffRule, backoffDelay, backoffSchedule, RateDecision, RateRule, refusedFor } from "../src/index.js"

const failedLogins = new BackoffRule({
  failuresBeforeDelay: 5,
  base: Duration.seconds(1),
  cap: Duration.minutes(15),
  forgetAfter: Duration.hours(1),
})
const seconds = (d: Duration.Duration) => Duration.toSeconds(d)

describe("rate rules", () => {
  it("waits nothing before the 5th failure, then 1 s doubling per failure up to 15 minutes", () => {
    expect([0, 1, 4, 5, 6, 7, 14, 15, 16, 1000].map((n) => seconds(backoffDelay(failedLogins, n)))).toEqual([
      0, 0, 0, 1, 2, 4, 512, 900, 900, 900,
    ])
  })

  it("states the same waits as a table that ends at the first capped one", () => {
    const schedule = backoffSchedule(failedLogins).map(seconds)
    expect(schedule).toEqual([0, 0, 0, 0, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 900])
    expect(backoffSchedule(new BackoffRule({ ...failedLogins, cap: Duration.seconds(1) })).map(seconds)).toEqual([
      0, 0, 0, 0, 1,
    ])
  })

  it("rounds a wait up to whole seconds, and never to 0", () => {
    expect([0, 1, 999, 1000, 1001, 59_001].map((millis) => refusedFor(millis))).toEqual(
      [1, 1, 1, 1, 2, 60].map((retryAfterSeconds) => RateDecision.Refused({ retryAfterSeconds })),
    )
  })

  it("refuses rules that cannot be meant", () => {
    expect(() => new RateRule({ limit: 0, window: Duration.minutes(5) })).toThrow()
    expect(() => new RateRule({ limit: 1.5, window: Duration.minutes(5) })).toThrow()
    expect(() => new RateRule({ limit: 30, window: Duration.zero })).toThrow()
    expect(() => new RateRule({ limit: 30, window: Duration.infinity })).toThrow("must be finite")
    expect(() => new BackoffRule({ ...failedLogins, cap: Duration.infinity })).toThrow("must be finite")
    expect(() => new BackoffRule({ ...failedLogins, cap: Duration.millis(999) })).toThrow("cap must be at least base")
    expect(() => new BackoffRule({ ...failedLogins, failuresBeforeDelay: 0 })).toThrow()
  })
})
