import { Context, Data, type Duration, type Effect } from "effect"
import type { BackoffRule, RateRule } from "./Rules.js"

/** A limiter's answer: go ahead, or wait `retryAfterSeconds` (whole seconds, at least 1). */
export type RateDecision = Data.TaggedEnum<{
  Allowed: Record<never, never>
  Refused: { readonly retryAfterSeconds: number }
}>
export const RateDecision = Data.taggedEnum<RateDecision>()

/** A refusal for a wait of `millis`, rounded up to whole seconds: a client that waits that long is let through. */
export const refusedFor = (millis: number): RateDecision =>
  RateDecision.Refused({ retryAfterSeconds: Math.max(1, Math.ceil(millis / 1000)) })

/**
 * Counts events per key and decides, atomically in the store, whether one more may happen: two
 * concurrent calls on one key never both see the last free place. Time is the caller's Clock, so
 * every instance sharing a store must keep its clock in sync (NTP). A store that cannot be reached
 * raises `StoreUnavailable` as a defect, quickly: whether to let the request through is the use
 * case's choice. The sliding windows of `consume`, the failures of `attempt` and the facts of
 * `remember` live apart: the same key names three independent entries.
 */
export class RateLimiter extends Context.Tag("userkit/RateLimiter")<
  RateLimiter,
  {
    /** Counts one event on `key` if fewer than `rule.limit` counted in the last `rule.window`; else refuses it, uncounted. */
    readonly consume: (key: string, rule: RateRule) => Effect.Effect<RateDecision>
    /**
     * Claims one attempt on `key`: refused while the wait after its previous failures runs (not
     * counted, the wait unchanged); else allowed, and counted as a failure until `reset`. Counting
     * before the outcome is what makes check and record one step: concurrent guesses cannot all
     * pass a check made before any of them failed.
     */
    readonly attempt: (key: string, rule: BackoffRule) => Effect.Effect<RateDecision>
    /** Forgets the failures counted on `key` by `attempt` (the attempt succeeded). */
    readonly reset: (key: string) => Effect.Effect<void>
    /** Remembers `key` for `ttl` from now (again: from now again): a fact to recall, such as an address an account logged in from. */
    readonly remember: (key: string, ttl: Duration.Duration) => Effect.Effect<void>
    /** Whether `key` is remembered: `remember`ed less than its `ttl` ago. Apart from the counters of the same key. */
    readonly recalls: (key: string) => Effect.Effect<boolean>
  }
>() {}
