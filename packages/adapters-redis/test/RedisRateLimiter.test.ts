import { describe, expect, it } from "@effect/vitest"
import { BackoffRule, RateDecision, RateLimiter, RateRule, StoreUnavailable } from "@userkit/domain"
import { rateLimiterContract } from "@userkit/domain/testing"
import { Array as Arr, Cause, Context, Duration, Effect, Exit, Layer, Option, Redacted, Schedule } from "effect"
import { RedisRateLimiter } from "../src/index.js"
import { closedPort, redisProxy } from "./support/RedisProxy.js"
import {
  freshPrefix,
  hasTestRedis,
  keysUnder,
  limiterOn,
  rawRedis,
  testLimiter,
  testRedisUrl,
} from "./support/TestRedis.js"

const signUps = new RateRule({ limit: 30, window: Duration.minutes(5) })
const failedLogins = new BackoffRule({
  failuresBeforeDelay: 5,
  base: Duration.seconds(1),
  cap: Duration.minutes(15),
  forgetAfter: Duration.hours(1),
})

const limiterIn = (layer: Layer.Layer<RateLimiter>) => Effect.map(Layer.build(layer), Context.get(RateLimiter))
const allowedIn = (decisions: ReadonlyArray<RateDecision>) => decisions.filter((d) => d._tag === "Allowed").length

/** What each of the limiter's decisions ends with, and how long the slowest took. */
const everyDecision = (limiter: typeof RateLimiter.Service) =>
  Effect.gen(function* () {
    const started = Date.now()
    const exits = yield* Effect.all(
      [limiter.consume("203.0.113.7", signUps), limiter.attempt("ada", failedLogins), limiter.reset("ada")].map(
        (decision) => Effect.exit(decision),
      ),
      { concurrency: "unbounded" },
    )
    return { exits, millis: Date.now() - started }
  })

/** `decision` once the limiter serves again, retried while it dies, for up to 10 seconds. */
const servedAgain = <A>(decision: Effect.Effect<A>) =>
  Effect.sandbox(decision).pipe(Effect.retry(Schedule.spaced("100 millis")), Effect.timeout("10 seconds"))

/** Why the store was unavailable, if that is how `exit` ended. */
const unavailability = (exit: Exit.Exit<unknown>) =>
  Exit.isFailure(exit)
    ? Option.flatMap(Cause.dieOption(exit.cause), (defect) =>
        defect instanceof StoreUnavailable ? Option.some(defect.reason) : Option.none(),
      )
    : Option.none()
const isStoreUnavailable = (exit: Exit.Exit<unknown>) => Option.isSome(unavailability(exit))

describe.runIf(hasTestRedis)("on the test Redis (TEST_REDIS_URL)", () => {
  rateLimiterContract("Redis", testLimiter)

  it.scopedLive("two limiters, each with its own client, enforce one limit between them", () =>
    Effect.gen(function* () {
      const prefix = yield* freshPrefix
      const first = yield* limiterIn(limiterOn(testRedisUrl, prefix))
      const second = yield* limiterIn(limiterOn(testRedisUrl, prefix))
      const both = <A>(decide: (limiter: typeof RateLimiter.Service) => Effect.Effect<A>) =>
        Effect.all(
          Arr.makeBy(200, (i) => decide(i % 2 === 0 ? first : second)),
          { concurrency: "unbounded" },
        )
      expect(allowedIn(yield* both((l) => l.consume("203.0.113.7", signUps)))).toBe(30)
      expect(allowedIn(yield* both((l) => l.attempt("ada", failedLogins)))).toBe(5)
      // A success seen by one instance clears the failures for the other.
      yield* first.reset("ada")
      expect(yield* second.attempt("ada", failedLogins)).toEqual(RateDecision.Allowed())
    }),
  )

  it.scopedLive("keeps every key under its prefix, each with a time to live, and reset deletes", () =>
    Effect.gen(function* () {
      const prefix = yield* freshPrefix
      const limiter = yield* limiterIn(limiterOn(testRedisUrl, prefix))
      yield* limiter.consume("203.0.113.7", signUps)
      yield* Effect.all(Arr.replicate(limiter.attempt("ada", failedLogins), 5))
      const redis = yield* rawRedis
      const keys = [...(yield* keysUnder(prefix))].sort()
      expect(keys).toEqual([`${prefix}failures:ada`, `${prefix}window:203.0.113.7`])
      const ttl = (key: string) => Effect.promise(() => redis.pTTL(key))
      // The window: 5 minutes. The failures: a 1 second wait, then an hour before they are forgotten.
      expect(yield* ttl(`${prefix}window:203.0.113.7`)).toBeGreaterThan(299_000)
      expect(yield* ttl(`${prefix}window:203.0.113.7`)).toBeLessThanOrEqual(300_000)
      expect(yield* ttl(`${prefix}failures:ada`)).toBeGreaterThan(3_600_000)
      expect(yield* ttl(`${prefix}failures:ada`)).toBeLessThanOrEqual(3_601_000)
      yield* limiter.reset("ada")
      expect(yield* keysUnder(prefix)).toEqual([`${prefix}window:203.0.113.7`])
    }),
  )

  it.scopedLive("runs its scripts again after Redis has forgotten them (a restart, SCRIPT FLUSH)", () =>
    Effect.gen(function* () {
      const limiter = yield* limiterIn(limiterOn(testRedisUrl, yield* freshPrefix))
      expect(yield* limiter.consume("203.0.113.7", signUps)).toEqual(RateDecision.Allowed())
      const redis = yield* rawRedis
      yield* Effect.promise(() => redis.scriptFlush())
      expect(yield* limiter.consume("203.0.113.7", signUps)).toEqual(RateDecision.Allowed())
      yield* Effect.promise(() => redis.scriptFlush())
      expect(yield* limiter.attempt("ada", failedLogins)).toEqual(RateDecision.Allowed())
    }),
  )

  it.scopedLive("fails each decision within its timeout while Redis hangs, then serves again when it answers", () =>
    Effect.gen(function* () {
      const proxy = yield* redisProxy(testRedisUrl)
      const prefix = yield* freshPrefix
      const limiter = yield* limiterIn(
        RedisRateLimiter.layer({ url: Redacted.make(proxy.url), prefix, timeout: "300 millis" }),
      )
      expect(yield* limiter.consume("203.0.113.7", signUps)).toEqual(RateDecision.Allowed())

      proxy.stall()
      const stalled = yield* everyDecision(limiter)
      expect(stalled.exits.map(unavailability)).toEqual(Arr.replicate(Option.some("no answer within 300 ms"), 3))
      expect(stalled.millis).toBeLessThan(1000)

      proxy.forward()
      expect(yield* servedAgain(limiter.consume("203.0.113.7", signUps))).toEqual(RateDecision.Allowed())
    }),
  )

  it.scopedLive("starts while Redis is down, refusing decisions quickly, and serves once Redis is up", () =>
    Effect.gen(function* () {
      const proxy = yield* redisProxy(testRedisUrl, "refuse")
      const limiter = yield* limiterIn(
        RedisRateLimiter.layer({ url: Redacted.make(proxy.url), prefix: yield* freshPrefix }),
      )
      // At once, not after the 500 ms timeout: with no connection, nothing waits for one.
      const down = yield* everyDecision(limiter)
      expect(down.exits.map(isStoreUnavailable)).toEqual([true, true, true])
      expect(down.millis).toBeLessThan(250)
      proxy.forward()
      expect(yield* servedAgain(limiter.consume("203.0.113.7", signUps))).toEqual(RateDecision.Allowed())
    }),
  )
})

describe("RedisRateLimiter without a Redis", () => {
  it.scopedLive("fails every decision at once with StoreUnavailable when nothing listens", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const limiter = yield* limiterIn(RedisRateLimiter.layer({ url: Redacted.make(`redis://127.0.0.1:${port}`) }))
      // At once, not after the 500 ms timeout, and again while the client retries in the background.
      for (const _ of [1, 2]) {
        const { exits, millis } = yield* everyDecision(limiter)
        expect(exits.map(isStoreUnavailable)).toEqual([true, true, true])
        expect(millis).toBeLessThan(250)
        yield* Effect.sleep("300 millis")
      }
    }),
  )

  it.scopedLive("refuses a URL that is not Redis's without quoting its password", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(
        limiterIn(RedisRateLimiter.layer({ url: Redacted.make("http://user:hunter2-secret@127.0.0.1:6379") })),
      )
      if (Exit.isSuccess(exit)) return expect.fail("a limiter was built on an http:// URL")
      expect(Cause.pretty(exit.cause)).toContain("the Redis URL is not valid")
      expect(Cause.pretty(exit.cause)).not.toContain("hunter2")
    }),
  )
})
