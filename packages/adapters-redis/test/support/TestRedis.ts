import { createClient } from "@redis/client"
import { Effect, Layer, Redacted, type Scope } from "effect"
import { RedisRateLimiter } from "../../src/index.js"

/** A real Redis for the tests that need one; CI always sets it. */
export const testRedisUrl = process.env.TEST_REDIS_URL ?? ""
export const hasTestRedis = testRedisUrl !== ""

/** A client of the test Redis that is not the adapter's, for setup and checks; closed with the scope. */
export const rawRedis = Effect.acquireRelease(
  Effect.promise(() => createClient({ url: testRedisUrl }).connect()),
  (client) => Effect.promise(() => client.close()),
)

/** The keys under `prefix` on the test Redis. */
export const keysUnder = (prefix: string) =>
  Effect.flatMap(rawRedis, (redis) => Effect.promise(() => redis.keys(`${prefix}*`)))

/** A key prefix of its own on the test Redis, its keys deleted with the scope, so tests never share a count. */
export const freshPrefix: Effect.Effect<string, never, Scope.Scope> = Effect.acquireRelease(
  Effect.sync(() => `userkit:test:${crypto.randomUUID()}:`),
  (prefix) =>
    Effect.scoped(
      Effect.gen(function* () {
        const redis = yield* rawRedis
        const keys = yield* Effect.promise(() => redis.keys(`${prefix}*`))
        if (keys.length > 0) yield* Effect.promise(() => redis.del(keys))
      }),
    ),
)

/** A limiter on `url` under `prefix`, with its own client. */
export const limiterOn = (url: string, prefix: string) => RedisRateLimiter.layer({ url: Redacted.make(url), prefix })

/** A limiter on the test Redis under a fresh prefix for each build. */
export const testLimiter = Layer.unwrapScoped(Effect.map(freshPrefix, (prefix) => limiterOn(testRedisUrl, prefix)))
