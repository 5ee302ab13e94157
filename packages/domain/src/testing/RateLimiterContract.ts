import { describe, expect, it } from "@effect/vitest"
import { Array as Arr, Duration, Effect, type Layer, TestClock } from "effect"
import { RateDecision, RateLimiter } from "../limits/RateLimiter.js"
import { BackoffRule, RateRule } from "../limits/Rules.js"

const allowed = RateDecision.Allowed()
const refused = (retryAfterSeconds: number) => RateDecision.Refused({ retryAfterSeconds })
const allowedIn = (decisions: ReadonlyArray<RateDecision>) => decisions.filter((d) => d._tag === "Allowed").length

const perMinute = (limit: number) => new RateRule({ limit, window: Duration.minutes(1) })

// Waits of 1, 2, 4, 8 seconds after the 5th to 8th failures, then 10 (the cap).
const failedLogins = new BackoffRule({
  failuresBeforeDelay: 5,
  base: Duration.seconds(1),
  cap: Duration.seconds(10),
  forgetAfter: Duration.hours(1),
})

const consume = (key: string, rule: RateRule) => Effect.flatMap(RateLimiter, (limiter) => limiter.consume(key, rule))
const attempt = (key: string, rule: BackoffRule = failedLogins) =>
  Effect.flatMap(RateLimiter, (limiter) => limiter.attempt(key, rule))
const reset = (key: string) => Effect.flatMap(RateLimiter, (limiter) => limiter.reset(key))
const remember = (key: string, ttl: Duration.DurationInput) =>
  Effect.flatMap(RateLimiter, (limiter) => limiter.remember(key, Duration.decode(ttl)))
const recalls = (key: string) => Effect.flatMap(RateLimiter, (limiter) => limiter.recalls(key))

/** `n` decisions on one key, one after the other. */
const times = (n: number, decide: Effect.Effect<RateDecision, never, RateLimiter>) =>
  Effect.all(Arr.replicate(decide, n))
/** `n` decisions on one key, all at once. */
const concurrently = (n: number, decide: Effect.Effect<RateDecision, never, RateLimiter>) =>
  Effect.all(Arr.replicate(decide, n), { concurrency: "unbounded" })

/**
 * The specification of a RateLimiter. `layer` is built afresh for every test, so each starts with
 * no counts. Time is the test's Clock (a TestClock starting at 0): an adapter must take the
 * current time from Clock, whatever clock its store has.
 */
export const rateLimiterContract = (name: string, layer: Layer.Layer<RateLimiter, unknown>) =>
  describe(`RateLimiter contract: ${name}`, () => {
    const test = (title: string, body: Effect.Effect<void, never, RateLimiter>) =>
      it.effect(title, () => Effect.provide(body, layer), 60_000)

    describe("events per window (consume)", () => {
      test(
        "lets exactly 30 of 200 concurrent events on one key through, and tells the rest to wait the window",
        Effect.gen(function* () {
          const rule = new RateRule({ limit: 30, window: Duration.minutes(5) })
          const decisions = yield* concurrently(200, consume("race", rule))
          expect(allowedIn(decisions)).toBe(30)
          expect(decisions.filter((d) => d._tag === "Refused")).toEqual(Arr.replicate(refused(300), 170))
          expect(yield* consume("race", rule)).toEqual(refused(300))
        }),
      )

      test(
        "refuses an event past the limit with the whole seconds until the oldest counted one leaves the window",
        Effect.gen(function* () {
          const rule = perMinute(3)
          expect(yield* times(3, consume("k", rule))).toEqual(Arr.replicate(allowed, 3))
          expect(yield* consume("k", rule)).toEqual(refused(60))
          yield* TestClock.adjust("20 seconds")
          expect(yield* consume("k", rule)).toEqual(refused(40))
          // 0.999 s left is still a whole second to wait: never 0, which would invite a retry storm.
          yield* TestClock.adjust(Duration.millis(39_001))
          expect(yield* consume("k", rule)).toEqual(refused(1))
          yield* TestClock.adjust("999 millis")
          expect(yield* consume("k", rule)).toEqual(allowed)
        }),
      )

      test(
        "slides: each event frees its place when its own window ends, not when the first one's does",
        Effect.gen(function* () {
          const rule = perMinute(3)
          for (const _ of [0, 10, 20]) {
            expect(yield* consume("k", rule)).toEqual(allowed)
            yield* TestClock.adjust("10 seconds")
          }
          // t = 30 s: events at 0, 10 and 20 s.
          expect(yield* consume("k", rule)).toEqual(refused(30))
          yield* TestClock.adjust("30 seconds")
          expect(yield* consume("k", rule)).toEqual(allowed)
          expect(yield* consume("k", rule)).toEqual(refused(10))
          yield* TestClock.adjust("10 seconds")
          expect(yield* consume("k", rule)).toEqual(allowed)
          expect(yield* consume("k", rule)).toEqual(refused(10))
        }),
      )

      test(
        "does not count refused events: hammering a full key does not push its window further",
        Effect.gen(function* () {
          const rule = perMinute(2)
          expect(yield* times(2, consume("k", rule))).toEqual([allowed, allowed])
          expect(yield* times(10, consume("k", rule))).toEqual(Arr.replicate(refused(60), 10))
          yield* TestClock.adjust("30 seconds")
          expect(yield* concurrently(10, consume("k", rule))).toEqual(Arr.replicate(refused(30), 10))
          yield* TestClock.adjust("30 seconds")
          expect(yield* times(3, consume("k", rule))).toEqual([allowed, allowed, refused(60)])
        }),
      )

      test(
        "keeps each key's count apart, and apart from the failures counted on the same key",
        Effect.gen(function* () {
          const rule = perMinute(2)
          yield* times(2, consume("203.0.113.7", rule))
          expect(yield* consume("203.0.113.7", rule)).toEqual(refused(60))
          expect(yield* times(2, consume("203.0.113.8", rule))).toEqual([allowed, allowed])
          expect(yield* attempt("203.0.113.7")).toEqual(allowed)
          yield* reset("203.0.113.7")
          expect(yield* consume("203.0.113.7", rule)).toEqual(refused(60))
        }),
      )
    })

    describe("failures with a growing wait (attempt, reset)", () => {
      test(
        "lets the first 5 failures through, then makes the next attempt wait 1 second",
        Effect.gen(function* () {
          expect(yield* times(5, attempt("ada"))).toEqual(Arr.replicate(allowed, 5))
          expect(yield* attempt("ada")).toEqual(refused(1))
          yield* TestClock.adjust("999 millis")
          expect(yield* attempt("ada")).toEqual(refused(1))
          yield* TestClock.adjust("1 millis")
          expect(yield* attempt("ada")).toEqual(allowed)
        }),
      )

      test(
        "doubles the wait with each further failure, up to the cap",
        Effect.gen(function* () {
          yield* times(5, attempt("ada"))
          for (const wait of [1, 2, 4, 8, 10, 10, 10]) {
            expect(yield* attempt("ada")).toEqual(refused(wait))
            yield* TestClock.adjust(Duration.millis(wait * 1000 - 1))
            expect(yield* attempt("ada")).toEqual(refused(1))
            yield* TestClock.adjust("1 millis")
            expect(yield* attempt("ada")).toEqual(allowed)
          }
        }),
      )

      test(
        "counts each of 5 concurrent failures: the 6th attempt waits",
        Effect.gen(function* () {
          expect(yield* concurrently(5, attempt("ada"))).toEqual(Arr.replicate(allowed, 5))
          expect(yield* attempt("ada")).toEqual(refused(1))
        }),
      )

      test(
        "lets exactly 5 of 200 concurrent guesses at one account through",
        Effect.gen(function* () {
          const decisions = yield* concurrently(200, attempt("ada"))
          expect(allowedIn(decisions)).toBe(5)
          expect(decisions.filter((d) => d._tag === "Refused")).toEqual(Arr.replicate(refused(1), 195))
          yield* TestClock.adjust("1 second")
          expect(allowedIn(yield* concurrently(200, attempt("ada")))).toBe(1)
          expect(yield* attempt("ada")).toEqual(refused(2))
        }),
      )

      test(
        "does not count attempts refused during a wait, nor lengthen the wait",
        Effect.gen(function* () {
          yield* times(5, attempt("ada"))
          yield* TestClock.adjust("500 millis")
          expect(yield* times(20, attempt("ada"))).toEqual(Arr.replicate(refused(1), 20))
          yield* TestClock.adjust("500 millis")
          expect(yield* attempt("ada")).toEqual(allowed)
          // The 6th failure: 2 seconds, as if the refused ones had never been.
          expect(yield* attempt("ada")).toEqual(refused(2))
        }),
      )

      test(
        "forgets the failures on reset (a success): the next attempts start over",
        Effect.gen(function* () {
          yield* times(5, attempt("ada"))
          yield* reset("ada")
          expect(yield* times(5, attempt("ada"))).toEqual(Arr.replicate(allowed, 5))
          expect(yield* attempt("ada")).toEqual(refused(1))
          yield* reset("never seen")
        }),
      )

      test(
        "forgets the failures once forgetAfter has passed with no attempt, not before",
        Effect.gen(function* () {
          yield* times(3, attempt("remembered"))
          yield* times(3, attempt("forgotten"))
          yield* TestClock.adjust(Duration.millis(Duration.toMillis("1 hour") - 1))
          expect(yield* times(3, attempt("remembered"))).toEqual([allowed, allowed, refused(1)])
          yield* TestClock.adjust("1 millis")
          expect(yield* times(6, attempt("forgotten"))).toEqual([...Arr.replicate(allowed, 5), refused(1)])
        }),
      )

      test(
        "forgets a long wait's failures only forgetAfter after the wait ends",
        Effect.gen(function* () {
          yield* times(5, attempt("ada"))
          for (const wait of [1, 2, 4, 8]) {
            yield* TestClock.adjust(Duration.seconds(wait))
            yield* attempt("ada")
          }
          // 9 failures: a 10 second wait, then an hour before they are forgotten.
          yield* TestClock.adjust(Duration.millis(Duration.toMillis("1 hour") + 10_000 - 1))
          expect(yield* attempt("ada")).toEqual(allowed)
          expect(yield* attempt("ada")).toEqual(refused(10))
          yield* TestClock.adjust(Duration.millis(Duration.toMillis("1 hour") + 10_000))
          expect(yield* times(6, attempt("ada"))).toEqual([...Arr.replicate(allowed, 5), refused(1)])
        }),
      )

      test(
        "keeps each key's failures apart",
        Effect.gen(function* () {
          yield* times(5, attempt("ada"))
          yield* times(4, attempt("grace"))
          expect(yield* attempt("ada")).toEqual(refused(1))
          expect(yield* attempt("grace")).toEqual(allowed)
          yield* reset("grace")
          expect(yield* attempt("ada")).toEqual(refused(1))
          expect(yield* consume("ada", perMinute(1))).toEqual(allowed)
        }),
      )
    })

    describe("remembered keys (remember, recalls)", () => {
      test(
        "recalls a key for its time to live and not a millisecond longer",
        Effect.gen(function* () {
          expect(yield* recalls("ada@203.0.113.7")).toBe(false)
          yield* remember("ada@203.0.113.7", "30 days")
          expect(yield* recalls("ada@203.0.113.7")).toBe(true)
          expect(yield* recalls("ada@203.0.113.8")).toBe(false)
          yield* TestClock.adjust(Duration.millis(Duration.toMillis("30 days") - 1))
          expect(yield* recalls("ada@203.0.113.7")).toBe(true)
          yield* TestClock.adjust("1 millis")
          expect(yield* recalls("ada@203.0.113.7")).toBe(false)
        }),
      )

      test(
        "starts the time to live over when remembered again",
        Effect.gen(function* () {
          yield* remember("k", "1 minute")
          yield* TestClock.adjust("50 seconds")
          yield* remember("k", "1 minute")
          yield* TestClock.adjust("50 seconds")
          expect(yield* recalls("k")).toBe(true)
        }),
      )

      test(
        "keeps a remembered key apart from the counters of the same key",
        Effect.gen(function* () {
          yield* times(5, attempt("k"))
          yield* remember("k", "1 minute")
          expect(yield* attempt("k")).toEqual(refused(1))
          yield* reset("k")
          expect(yield* recalls("k")).toBe(true)
          expect(yield* consume("k", perMinute(1))).toEqual(allowed)
        }),
      )
    })
  })
