import { Context, Duration, Effect, Layer, Option, Schema } from "effect"
import type { Client } from "../auth/Client.js"
import { StoreUnavailable } from "../StoreUnavailable.js"
import type { UserId } from "../users/User.js"
import { addressKey } from "./AddressKey.js"
import { RateLimited } from "./errors.js"
import { RateDecision, RateLimiter } from "./RateLimiter.js"
import { BackoffRule, RateRule } from "./Rules.js"

/** What is counted per client address. */
export type AddressAction = "register" | "login" | "refresh" | "passwordChange"

/**
 * Every limit: per client address on each counted action, and the growing wait after failed
 * guesses at one account's password, from whatever address they come.
 */
export class LimitRules extends Schema.Class<LimitRules>("LimitRules")({
  register: RateRule,
  login: RateRule,
  refresh: RateRule,
  passwordChange: RateRule,
  failedLogins: BackoffRule,
  /** How long an address an account logged in from lets its owner past that account's wait. */
  knownAddressFor: Schema.DurationFromSelf.pipe(Schema.greaterThanDuration(0)),
}) {}

const perFiveMinutes = (limit: number) => new RateRule({ limit, window: Duration.minutes(5) })

/**
 * In the spirit of Supabase's: 30 sign-ups and 30 sign-ins per address per 5 minutes, 150 token
 * refreshes; after 5 failed guesses at an account, a wait of 1 s doubling to 15 minutes, forgotten
 * after a day without a guess; an address keeps its owner's way in for 30 days.
 */
export const DEFAULT_LIMIT_RULES = new LimitRules({
  register: perFiveMinutes(30),
  login: perFiveMinutes(30),
  refresh: perFiveMinutes(150),
  passwordChange: perFiveMinutes(10),
  failedLogins: new BackoffRule({
    failuresBeforeDelay: 5,
    base: Duration.seconds(1),
    cap: Duration.minutes(15),
    forgetAfter: Duration.hours(24),
  }),
  knownAddressFor: Duration.days(30),
})

const rateLimited = (decision: RateDecision): Effect.Effect<void, RateLimited> =>
  RateDecision.$match(decision, {
    Allowed: () => Effect.void,
    Refused: ({ retryAfterSeconds }) => Effect.fail(new RateLimited({ retryAfterSeconds })),
  })

/**
 * The limits the use cases apply, on the RateLimiter port. Per address, they fail open: when the
 * limiter's store is down the request goes through (a warning is logged), since refusing every
 * sign-in during a Redis outage would be a worse outage. Guesses at a password fail closed: the
 * store's outage (`StoreUnavailable`, a 503) stops them, since letting them through would open
 * the one door the limit exists to keep shut.
 */
export class Limits extends Context.Tag("userkit/Limits")<
  Limits,
  {
    /** One more `action` from the client's address (an IPv6 address counts by its /64); refused past its rule. */
    readonly fromAddress: (action: AddressAction, client: Client) => Effect.Effect<void, RateLimited>
    /**
     * Claims one guess at the password of `subject` (a login as typed, normalized; an account),
     * counted as a failure until `guessed`. Refused while the wait after earlier failures runs,
     * unless `owner` (the account the subject names, if any) logged in from the client's address
     * before: its owner is not locked out from where they usually sign in (guesses from there are
     * then counted on their own, by the same rule). The same store calls whether `owner` is known
     * or not, so the answer's time tells nothing of existence. Pass no owner to allow no way past.
     */
    readonly claimGuess: (
      subject: string,
      owner: Option.Option<UserId>,
      client: Client,
    ) => Effect.Effect<void, RateLimited>
    /**
     * The guess at `subject` succeeded: its failures are forgotten, and the address is `owner`'s.
     * Only that subject's: forgetting the account's other names too would let anyone watching
     * them learn which email and username belong together.
     */
    readonly guessed: (subject: string, owner: UserId, client: Client) => Effect.Effect<void>
  }
>() {
  /** The limits by `rules` (the defaults when absent), counted on the RateLimiter. */
  static readonly layer = (rules: LimitRules = DEFAULT_LIMIT_RULES): Layer.Layer<Limits, never, RateLimiter> =>
    Layer.effect(Limits, makeLimits(rules))

  /** No limits at all: `RATE_LIMIT_ENABLED=false`, benchmarks, and tests of everything else. */
  static readonly unlimited: Layer.Layer<Limits> = Layer.succeed(this, {
    fromAddress: () => Effect.void,
    claimGuess: () => Effect.void,
    guessed: () => Effect.void,
  })
}

// No account has this id: what `recalls` looks up when the subject names none, to cost the same.
const NOBODY = "00000000-0000-0000-0000-000000000000"

/** The limits by `rules`, counted on the RateLimiter. */
export const makeLimits = (rules: LimitRules): Effect.Effect<typeof Limits.Service, never, RateLimiter> =>
  Effect.map(RateLimiter, (limiter) => {
    const knownKey = (owner: string, client: Client) => `known:${owner}:${addressKey(client.address)}`
    const guessKey = (subject: string) => `guess:${subject}`
    const guessFromKey = (subject: string, client: Client) => `guess-from:${addressKey(client.address)}:${subject}`
    return Limits.of({
      fromAddress: (action, client) =>
        limiter.consume(`${action}:${addressKey(client.address)}`, rules[action]).pipe(
          Effect.catchSomeDefect((defect) =>
            defect instanceof StoreUnavailable
              ? Option.some(
                  Effect.as(
                    Effect.logWarning(`per-address limit on ${action} not applied: ${defect.message}`),
                    RateDecision.Allowed(),
                  ),
                )
              : Option.none(),
          ),
          Effect.flatMap(rateLimited),
        ),
      claimGuess: (subject, owner, client) =>
        Effect.gen(function* () {
          const decision = yield* limiter.attempt(guessKey(subject), rules.failedLogins)
          if (decision._tag === "Allowed") return
          const known = yield* limiter.recalls(
            knownKey(
              Option.getOrElse(owner, () => NOBODY),
              client,
            ),
          )
          if (!known || Option.isNone(owner)) return yield* rateLimited(decision)
          // Past the account's wait from a known address: guesses from there are counted apart,
          // under the same rule, so the way in stays open to the owner's typos and closed to
          // whoever else shares the address (a NAT, a VPN exit).
          yield* limiter.attempt(guessFromKey(subject, client), rules.failedLogins).pipe(Effect.flatMap(rateLimited))
        }),
      guessed: (subject, owner, client) =>
        Effect.all([
          limiter.reset(guessKey(subject)),
          limiter.reset(guessFromKey(subject, client)),
          limiter.remember(knownKey(owner, client), rules.knownAddressFor),
        ]).pipe(Effect.asVoid),
    })
  })
