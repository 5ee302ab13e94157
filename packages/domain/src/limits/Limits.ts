import { Context, Duration, Effect, Layer, Option, Schema } from "effect"
import { auditEvent } from "../audit/AuditEvent.js"
import { AuditLog } from "../audit/AuditLog.js"
import type { Client } from "../auth/Client.js"
import { StoreUnavailable } from "../StoreUnavailable.js"
import type { UserId } from "../users/User.js"
import { addressKey } from "./AddressKey.js"
import { RateLimited } from "./errors.js"
import { RateDecision, RateLimiter } from "./RateLimiter.js"
import { BackoffRule, RateRule } from "./Rules.js"

/** What is counted per client address. */
export type AddressAction =
  | "register"
  | "login"
  | "refresh"
  | "passwordChange"
  | "passwordForgot"
  | "passwordReset"
  | "emailVerify"
  | "emailVerificationRequest"
  | "emailChange"

/** What is counted per account (or per address typed, when it may name none): each action apart, one rule. */
export type AccountAction = "passwordForgot" | "passwordReset" | "emailVerificationRequest" | "emailChange"

/**
 * Every limit: per client address on each counted action, and the growing wait after failed
 * guesses at one account's password, from whatever address they come.
 */
export class LimitRules extends Schema.Class<LimitRules>("LimitRules")({
  register: RateRule,
  login: RateRule,
  refresh: RateRule,
  passwordChange: RateRule,
  passwordForgot: RateRule,
  passwordReset: RateRule,
  emailVerify: RateRule,
  emailVerificationRequest: RateRule,
  /** A change of one's own address: each mails two addresses, and a taken one answers 409. */
  emailChange: RateRule,
  /** Per account, on each recovery action: how many links one address receives, how many resets one account takes. */
  recoveryPerAccount: RateRule,
  failedLogins: BackoffRule,
  /** How long an address an account logged in from lets its owner past that account's wait. */
  knownAddressFor: Schema.DurationFromSelf.pipe(Schema.greaterThanDuration(0)),
}) {}

const perFiveMinutes = (limit: number) => new RateRule({ limit, window: Duration.minutes(5) })

/**
 * In the spirit of Supabase's: 30 sign-ups and 30 sign-ins per address per 5 minutes, 150 token
 * refreshes, 10 password changes, reset requests, resets and verification requests, 30
 * verifications; 5 of each recovery action per account per hour; after 5 failed guesses at an account, a wait of 1 s doubling to 15 minutes, forgotten
 * after a day without a guess; an address keeps its owner's way in for 30 days.
 */
export const DEFAULT_LIMIT_RULES = new LimitRules({
  register: perFiveMinutes(30),
  login: perFiveMinutes(30),
  refresh: perFiveMinutes(150),
  passwordChange: perFiveMinutes(10),
  passwordForgot: perFiveMinutes(10),
  passwordReset: perFiveMinutes(10),
  emailVerify: perFiveMinutes(30),
  emailVerificationRequest: perFiveMinutes(10),
  emailChange: perFiveMinutes(10),
  recoveryPerAccount: new RateRule({ limit: 5, window: Duration.hours(1) }),
  failedLogins: new BackoffRule({
    failuresBeforeDelay: 5,
    base: Duration.seconds(1),
    cap: Duration.minutes(15),
    forgetAfter: Duration.hours(24),
  }),
  knownAddressFor: Duration.days(30),
})

/**
 * The limits the use cases apply, on the RateLimiter port. Per address, they fail open: when the
 * limiter's store is down the request goes through (a warning is logged), since refusing every
 * sign-in during a Redis outage would be a worse outage. Guesses at a password fail closed: the
 * store's outage (`StoreUnavailable`, a 503) stops them, since letting them through would open
 * the one door the limit exists to keep shut. A refusal is recorded as a `throttled` event, once a
 * minute per key (a flood of refusals is not a flood of writes).
 */
export class Limits extends Context.Tag("userkit/Limits")<
  Limits,
  {
    /** One more `action` from the client's address (an IPv6 address counts by its /64); refused past its rule. */
    readonly fromAddress: (action: AddressAction, client: Client) => Effect.Effect<void, RateLimited>
    /**
     * One more `action` on `subject`: an account's id, or an address as typed (normalized) when the
     * request may name no account, so an unknown one is counted like a known one. Fails open.
     */
    readonly forAccount: (
      action: AccountAction,
      subject: string,
      client: Client | undefined,
    ) => Effect.Effect<void, RateLimited>
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
  static readonly layer = (
    rules: LimitRules = DEFAULT_LIMIT_RULES,
  ): Layer.Layer<Limits, never, RateLimiter | AuditLog> => Layer.effect(Limits, makeLimits(rules))

  /** No limits at all: `RATE_LIMIT_ENABLED=false`, benchmarks, and tests of everything else. */
  static readonly unlimited: Layer.Layer<Limits> = Layer.succeed(this, {
    fromAddress: () => Effect.void,
    forAccount: () => Effect.void,
    claimGuess: () => Effect.void,
    guessed: () => Effect.void,
  })
}

// No account has this id: what `recalls` looks up when the subject names none, to cost the same.
const NOBODY = "00000000-0000-0000-0000-000000000000"

/** A refusal is written to the audit trail at most once a minute per key. */
const throttledRecorded = new RateRule({ limit: 1, window: Duration.minutes(1) })

/** The limits by `rules`, counted on the RateLimiter. */
export const makeLimits = (rules: LimitRules): Effect.Effect<typeof Limits.Service, never, RateLimiter | AuditLog> =>
  Effect.gen(function* () {
    const limiter = yield* RateLimiter
    const audit = yield* AuditLog
    const knownKey = (owner: string, client: Client) => `known:${owner}:${addressKey(client.address)}`
    const guessKey = (subject: string) => `guess:${subject}`
    const guessFromKey = (subject: string, client: Client) => `guess-from:${addressKey(client.address)}:${subject}`

    /** Go on if allowed; else record the refusal (once a minute per key) and fail with it. */
    const enforce = (
      key: string,
      decision: RateDecision,
      facts: { readonly client: Client | undefined; readonly detail: string; readonly target?: UserId | undefined },
    ): Effect.Effect<void, RateLimited> =>
      RateDecision.$match(decision, {
        Allowed: () => Effect.void,
        Refused: ({ retryAfterSeconds }) =>
          Effect.gen(function* () {
            // One count per minute per key, decided atomically by the limiter: concurrent refusals
            // (on any instance) record one event between them.
            const first = yield* limiter.consume(`throttled:${key}`, throttledRecorded)
            if (first._tag === "Allowed") yield* Effect.flatMap(auditEvent("throttled", facts), audit.record)
            return yield* new RateLimited({ retryAfterSeconds })
          }),
      })

    /** A counted rule that lets the request through when the limiter's store is down. */
    const failingOpen = (key: string, rule: RateRule, client: Client | undefined, detail: string) =>
      limiter.consume(key, rule).pipe(
        Effect.catchSomeDefect((defect) =>
          defect instanceof StoreUnavailable
            ? Option.some(
                Effect.as(
                  Effect.logWarning(`limit on ${detail} not applied: ${defect.message}`),
                  RateDecision.Allowed(),
                ),
              )
            : Option.none(),
        ),
        Effect.flatMap((decision) => enforce(key, decision, { client, detail })),
      )

    return Limits.of({
      fromAddress: (action, client) =>
        failingOpen(`${action}:${addressKey(client.address)}`, rules[action], client, action),
      forAccount: (action, subject, client) =>
        failingOpen(`${action}:account:${subject}`, rules.recoveryPerAccount, client, `${action} per account`),
      claimGuess: (subject, owner, client) =>
        Effect.gen(function* () {
          const target = Option.getOrUndefined(owner)
          const facts = { client, target, detail: "failed logins" }
          const decision = yield* limiter.attempt(guessKey(subject), rules.failedLogins)
          if (decision._tag === "Allowed") return
          const known = yield* limiter.recalls(knownKey(target ?? NOBODY, client))
          if (!known || target === undefined) return yield* enforce(guessKey(subject), decision, facts)
          // Past the account's wait from a known address: guesses from there are counted apart,
          // under the same rule, so the way in stays open to the owner's typos and closed to
          // whoever else shares the address (a NAT, a VPN exit).
          const fromHere = guessFromKey(subject, client)
          yield* limiter
            .attempt(fromHere, rules.failedLogins)
            .pipe(Effect.flatMap((decision) => enforce(fromHere, decision, facts)))
        }),
      guessed: (subject, owner, client) =>
        Effect.all([
          limiter.reset(guessKey(subject)),
          limiter.reset(guessFromKey(subject, client)),
          limiter.remember(knownKey(owner, client), rules.knownAddressFor),
        ]).pipe(Effect.asVoid),
    })
  })
