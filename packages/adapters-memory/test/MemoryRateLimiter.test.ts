import { describe, expect, it } from "@effect/vitest"
import { BackoffRule, RateDecision, RateRule } from "@userkit/domain"
import { Duration, Effect, TestClock } from "effect"
import { MemoryRateLimiter } from "../src/index.js"

const perMinute = new RateRule({ limit: 5, window: Duration.minutes(1) })
const failedLogins = new BackoffRule({
  failuresBeforeDelay: 5,
  base: Duration.seconds(1),
  cap: Duration.minutes(15),
  forgetAfter: Duration.hours(1),
})

describe("MemoryRateLimiter", () => {
  it.effect("drops the keys whose counts have expired, so a stream of new addresses uses bounded memory", () =>
    Effect.gen(function* () {
      const { limiter, keyCount } = yield* MemoryRateLimiter.makeWithKeyCount
      const forgetful = new BackoffRule({ ...failedLogins, forgetAfter: Duration.minutes(1) })
      let largest = 0
      // Ten minutes of 3,000 new addresses and 3,000 new accounts a minute, none seen twice.
      for (let minute = 0; minute < 10; minute++) {
        for (let i = 0; i < 3000; i++) {
          yield* limiter.consume(`address-${minute}-${i}`, perMinute)
          yield* limiter.attempt(`account-${minute}-${i}`, forgetful)
          largest = Math.max(largest, yield* keyCount)
        }
        yield* TestClock.adjust("1 minute")
      }
      // At most 6,000 keys are live at once (a minute's); kept all, there would be 60,000.
      expect(largest).toBeLessThanOrEqual(2 * 6000 + 1)
    }),
  )

  it.effect("keeps the live counts through a sweep", () =>
    Effect.gen(function* () {
      const { limiter, keyCount } = yield* MemoryRateLimiter.makeWithKeyCount
      for (let i = 0; i < 5; i++) yield* limiter.consume("busy", perMinute)
      for (let i = 0; i < 5; i++) yield* limiter.attempt("guessed", failedLogins)
      yield* TestClock.adjust("30 seconds")
      // Enough new keys to pass the sweep threshold twice.
      for (let i = 0; i < 5000; i++) yield* limiter.consume(`other-${i}`, perMinute)
      expect(yield* keyCount).toBe(5002)
      expect(yield* limiter.consume("busy", perMinute)).toEqual(RateDecision.Refused({ retryAfterSeconds: 30 }))
      yield* TestClock.adjust("30 seconds")
      // Its 6th failure, so a 2 second wait: the first 5 survived the sweep.
      expect(yield* limiter.attempt("guessed", failedLogins)).toEqual(RateDecision.Allowed())
      expect(yield* limiter.attempt("guessed", failedLogins)).toEqual(RateDecision.Refused({ retryAfterSeconds: 2 }))
    }),
  )
})
