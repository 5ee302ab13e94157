import { Duration, Schema } from "effect"

const PositiveInt = Schema.Int.pipe(Schema.positive())
const PositiveDuration = Schema.DurationFromSelf.pipe(
  Schema.greaterThanDuration(0),
  Schema.filter((d) => Duration.isFinite(d) || "must be finite"),
)

/**
 * At most `limit` events per key in any `window` (a sliding window: an event counts until
 * `window` has passed since it). Refused events are not counted. One rule per key.
 */
export class RateRule extends Schema.Class<RateRule>("RateRule")({
  limit: PositiveInt,
  window: PositiveDuration,
}) {}

/**
 * Failed attempts on one key (an account) make the next attempt wait: nothing for the first
 * `failuresBeforeDelay` failures, then `base`, doubling with each further failure, up to `cap`
 * (see `backoffDelay`). A success resets the key; so does `forgetAfter` without an attempt once
 * the wait has ended.
 */
export class BackoffRule extends Schema.Class<BackoffRule>("BackoffRule")(
  Schema.Struct({
    failuresBeforeDelay: PositiveInt,
    base: PositiveDuration,
    cap: PositiveDuration,
    forgetAfter: PositiveDuration,
  }).pipe(Schema.filter(({ base, cap }) => Duration.greaterThanOrEqualTo(cap, base) || "cap must be at least base")),
) {}

/** The wait before the next attempt after `failures` failures: base·2^(failures − failuresBeforeDelay), capped. */
export const backoffDelay = (rule: BackoffRule, failures: number): Duration.Duration => {
  if (failures < rule.failuresBeforeDelay) return Duration.zero
  const doublings = failures - rule.failuresBeforeDelay
  // 2^doublings outgrows any cap long before it outgrows a double; the cap bounds it anyway.
  const millis = Duration.toMillis(rule.base) * 2 ** Math.min(doublings, 64)
  return Duration.min(Duration.millis(millis), rule.cap)
}

/**
 * The waits after 1, 2, ... failures, up to the first that reaches the cap, which holds for every
 * count after it: `backoffDelay` as a table, for a store that runs the decision where this code
 * cannot (a Redis script).
 */
export const backoffSchedule = (rule: BackoffRule): ReadonlyArray<Duration.Duration> => {
  const schedule: Array<Duration.Duration> = []
  // Past 64 doublings every wait is the cap (backoffDelay), so the table ends there at the latest.
  for (let failures = 1; failures <= rule.failuresBeforeDelay + 64; failures++) {
    const delay = backoffDelay(rule, failures)
    schedule.push(delay)
    if (Duration.equals(delay, rule.cap)) break
  }
  return schedule
}
