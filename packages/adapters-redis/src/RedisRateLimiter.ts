import { backoffSchedule, RateDecision, RateLimiter, refusedFor } from "@userkit/domain"
import { Clock, Duration, Effect, Layer, Schema, type Scope } from "effect"
import { type Options as ClientOptions, connect, type RedisConnection, script } from "./RedisClient.js"

/**
 * Each script is one decision, atomic in Redis: no other command runs between its read and its
 * write. `now` is the caller's Clock (so every instance must keep its clock in sync, and tests
 * drive Redis with a TestClock); Redis's own clock only expires keys, as garbage collection, and
 * never decides. Each answers {1, 0} (allowed) or {0, milliseconds to wait}.
 */

// KEYS[1]: a sorted set of the counted events, scored by time. ARGV: now, window, limit, a unique member.
const consumeScript = script(
  "consume",
  `local now, window, limit = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local count = redis.call('ZCARD', KEYS[1])
if count < limit then
  redis.call('ZADD', KEYS[1], now, ARGV[4])
  redis.call('PEXPIRE', KEYS[1], window)
  return {1, 0}
end
local freeing = redis.call('ZRANGE', KEYS[1], count - limit, count - limit, 'WITHSCORES')
return {0, math.min(tonumber(freeing[2]) + window - now, window)}`,
)

// KEYS[1]: a hash of the failures and the end of their wait. ARGV: now, forgetAfter, then the wait
// after 1, 2, ... failures (the domain's backoffSchedule), whose last entry holds from then on.
const attemptScript = script(
  "attempt",
  `local now, forget = tonumber(ARGV[1]), tonumber(ARGV[2])
local state = redis.call('HMGET', KEYS[1], 'failures', 'until')
local failures, blocked = tonumber(state[1]) or 0, tonumber(state[2]) or now
if now >= blocked + forget then failures = 0 end
if now < blocked then return {0, math.min(blocked - now, tonumber(ARGV[#ARGV]))} end
failures = failures + 1
local wait = tonumber(ARGV[2 + math.min(failures, #ARGV - 2)])
redis.call('HSET', KEYS[1], 'failures', failures, 'until', now + wait)
redis.call('PEXPIRE', KEYS[1], wait + forget)
return {1, 0}`,
)

const Reply = Schema.Tuple(Schema.Literal(0, 1), Schema.Int)

const decisionOf = (reply: unknown) =>
  Schema.decodeUnknown(Reply)(reply).pipe(
    Effect.map(([allowed, waitMillis]) => (allowed === 1 ? RateDecision.Allowed() : refusedFor(waitMillis))),
    Effect.orDieWith(() => new Error("the rate limiter script answered something other than {allowed, wait}")),
  )

const millis = (duration: Duration.Duration) => String(Duration.toMillis(duration))

export interface Options extends ClientOptions {
  /** Put before every key, so that one Redis can serve other users; "userkit:limits:" when absent. */
  readonly prefix?: string | undefined
}

/** A RateLimiter on a connection; `prefix` before every key. */
const makeOn = (redis: RedisConnection, prefix = "userkit:limits:"): typeof RateLimiter.Service => {
  const windowKey = (key: string) => `${prefix}window:${key}`
  const failuresKey = (key: string) => `${prefix}failures:${key}`
  const markKey = (key: string) => `${prefix}mark:${key}`
  return RateLimiter.of({
    consume: (key, rule) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        // Unique, so that two events at the same millisecond are two members of the set.
        const event = `${now}:${crypto.randomUUID()}`
        const args = [String(now), millis(rule.window), String(rule.limit), event]
        return yield* decisionOf(yield* redis.evaluate(consumeScript, [windowKey(key)], args))
      }),
    attempt: (key, rule) =>
      Effect.gen(function* () {
        const now = yield* Clock.currentTimeMillis
        const args = [String(now), millis(rule.forgetAfter), ...backoffSchedule(rule).map(millis)]
        return yield* decisionOf(yield* redis.evaluate(attemptScript, [failuresKey(key)], args))
      }),
    reset: (key) => Effect.asVoid(redis.send(["DEL", failuresKey(key)])),
    // The value is when the mark ends by the caller's Clock, which decides; Redis's expiry only collects.
    remember: (key, ttl) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        redis.send(["SET", markKey(key), String(now + Duration.toMillis(ttl)), "PX", millis(ttl)]),
      ).pipe(Effect.asVoid),
    recalls: (key) =>
      Effect.gen(function* () {
        const expiresAt = yield* redis.send(["GET", markKey(key)])
        const now = yield* Clock.currentTimeMillis
        return typeof expiresAt === "string" && now < Number(expiresAt)
      }),
  })
}

/**
 * A RateLimiter shared by every instance on one Redis. Building it waits at most a second for
 * Redis; a decision while Redis cannot answer fails within `timeout` with a StoreUnavailable defect.
 */
export const make = (options: Options): Effect.Effect<typeof RateLimiter.Service, never, Scope.Scope> =>
  Effect.map(connect(options), (redis) => makeOn(redis, options.prefix))

export const layer = (options: Options): Layer.Layer<RateLimiter> => Layer.scoped(RateLimiter, make(options))
