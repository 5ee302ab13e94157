import { type BackoffRule, backoffDelay, RateDecision, RateLimiter, type RateRule, refusedFor } from "@userkit/domain"
import { Clock, Duration, Effect, HashMap, Layer, Option, Ref } from "effect"

/** The events counted on a key, oldest first; all have left the window at `expiresAt`. */
interface Window {
  readonly events: ReadonlyArray<number>
  readonly expiresAt: number
}

/** The failures counted on a key and the end of the wait they impose; forgotten at `expiresAt`. */
interface Failures {
  readonly failures: number
  readonly blockedUntil: number
  readonly expiresAt: number
}

/** A remembered key, forgotten at `expiresAt`. */
interface Mark {
  readonly expiresAt: number
}

interface State {
  readonly windows: HashMap.HashMap<string, Window>
  readonly failures: HashMap.HashMap<string, Failures>
  readonly marks: HashMap.HashMap<string, Mark>
  /** Expired entries are swept when the two maps hold more than this. */
  readonly sweepAbove: number
}

// Sweeping when the maps have doubled since the last sweep costs O(1) per decision on average and
// keeps memory within twice what the live entries need.
const MIN_SWEEP_ABOVE = 1024

const sizeOf = (state: State) => HashMap.size(state.windows) + HashMap.size(state.failures) + HashMap.size(state.marks)

const swept = (state: State, now: number): State => {
  if (sizeOf(state) <= state.sweepAbove) return state
  const live = <E extends { readonly expiresAt: number }>(map: HashMap.HashMap<string, E>) =>
    HashMap.filter(map, (entry) => entry.expiresAt > now)
  const next = { windows: live(state.windows), failures: live(state.failures), marks: live(state.marks) }
  return { ...next, sweepAbove: Math.max(MIN_SWEEP_ABOVE, 2 * sizeOf({ ...next, sweepAbove: 0 })) }
}

const consumeStep = (
  current: Option.Option<Window>,
  now: number,
  rule: RateRule,
): readonly [RateDecision, Option.Option<Window>] => {
  const windowMillis = Duration.toMillis(rule.window)
  // An event counts while less than the window has passed since it.
  const events = Option.match(current, {
    onNone: () => [],
    onSome: (w) => w.events.filter((t) => now - t < windowMillis),
  })
  if (events.length < rule.limit) {
    const counted = [...events, now].sort((a, b) => a - b)
    return [RateDecision.Allowed(), Option.some({ events: counted, expiresAt: (counted.at(-1) ?? now) + windowMillis })]
  }
  // The place frees up when enough events have left for one more to fit.
  const freeing = events[events.length - rule.limit] ?? now
  return [refusedFor(Math.min(freeing + windowMillis - now, windowMillis)), Option.none()]
}

const attemptStep = (
  current: Option.Option<Failures>,
  now: number,
  rule: BackoffRule,
): readonly [RateDecision, Option.Option<Failures>] => {
  const remembered = Option.filter(current, (f) => now < f.expiresAt)
  if (Option.isSome(remembered) && now < remembered.value.blockedUntil) {
    return [refusedFor(Math.min(remembered.value.blockedUntil - now, Duration.toMillis(rule.cap))), Option.none()]
  }
  const failures = Option.match(remembered, { onNone: () => 0, onSome: (f) => f.failures }) + 1
  const blockedUntil = now + Duration.toMillis(backoffDelay(rule, failures))
  return [
    RateDecision.Allowed(),
    Option.some({ failures, blockedUntil, expiresAt: blockedUntil + Duration.toMillis(rule.forgetAfter) }),
  ]
}

/**
 * The limiter and how many keys it holds (for tests of its memory bound). Each decision is one
 * `Ref.modify`: the read, the decision and the write happen with no other fiber in between.
 */
export const makeWithKeyCount = Effect.gen(function* () {
  const state = yield* Ref.make<State>({
    windows: HashMap.empty(),
    failures: HashMap.empty(),
    marks: HashMap.empty(),
    sweepAbove: MIN_SWEEP_ABOVE,
  })

  const limiter = RateLimiter.of({
    consume: (key, rule) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(state, (s): [RateDecision, State] => {
          const [decision, next] = consumeStep(HashMap.get(s.windows, key), now, rule)
          return [
            decision,
            Option.match(next, {
              onNone: () => s,
              onSome: (w) => swept({ ...s, windows: HashMap.set(s.windows, key, w) }, now),
            }),
          ]
        }),
      ),
    attempt: (key, rule) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.modify(state, (s): [RateDecision, State] => {
          const [decision, next] = attemptStep(HashMap.get(s.failures, key), now, rule)
          return [
            decision,
            Option.match(next, {
              onNone: () => s,
              onSome: (f) => swept({ ...s, failures: HashMap.set(s.failures, key, f) }, now),
            }),
          ]
        }),
      ),
    reset: (key) => Ref.update(state, (s) => ({ ...s, failures: HashMap.remove(s.failures, key) })),
    remember: (key, ttl) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Ref.update(state, (s) =>
          swept({ ...s, marks: HashMap.set(s.marks, key, { expiresAt: now + Duration.toMillis(ttl) }) }, now),
        ),
      ),
    recalls: (key) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) =>
        Effect.map(Ref.get(state), (s) =>
          Option.match(HashMap.get(s.marks, key), { onNone: () => false, onSome: (m) => now < m.expiresAt }),
        ),
      ),
  })

  return { limiter, keyCount: Effect.map(Ref.get(state), sizeOf) }
})

/** A RateLimiter in memory: one instance's limits, atomic by `Ref.modify`, expired keys dropped. */
export const make = Effect.map(makeWithKeyCount, ({ limiter }) => limiter)

/** The domain's RateLimiter in memory, empty on each build. */
export const layer: Layer.Layer<RateLimiter> = Layer.effect(RateLimiter, make)
