import { describe, expect, it } from "@effect/vitest"
import {
  Accounts,
  BackoffRule,
  type Client,
  Credentials,
  clientAt,
  DEFAULT_LIMIT_RULES,
  InactiveUser,
  InvalidCredentials,
  LimitRules,
  Limits,
  OwnAccount,
  PasswordChange,
  PasswordHasher,
  PasswordPolicy,
  RateLimited,
  RateLimiter,
  RateRule,
  Registration,
  StoreUnavailable,
  UseCases,
  WrongPassword,
} from "@userkit/domain"
import { Cause, Duration, Effect, Either, Exit, Layer, Ref, Schema, TestClock } from "effect"
import { FastPasswordHasher, MemoryAdapters, MemoryRateLimiter } from "../../src/index.js"
import { aMember } from "../support/domain.js"

// 3 sign-ins per address per minute; after 5 failed guesses at an account, 1 s doubling to 8 s.
const rules = new LimitRules({
  ...DEFAULT_LIMIT_RULES,
  login: new RateRule({ limit: 3, window: Duration.minutes(1) }),
  register: new RateRule({ limit: 2, window: Duration.minutes(1) }),
  passwordChange: new RateRule({ limit: 100, window: Duration.minutes(1) }),
  failedLogins: new BackoffRule({
    failuresBeforeDelay: 5,
    base: Duration.seconds(1),
    cap: Duration.seconds(8),
    forgetAfter: Duration.hours(1),
  }),
})

// The hasher's verifications, counted: each way a login fails must cost exactly one.
const verifications = Effect.runSync(Ref.make(0))
const CountingHasher = Layer.effect(
  PasswordHasher,
  Effect.map(PasswordHasher, (hasher) =>
    PasswordHasher.of({
      ...hasher,
      verify: (password, hash) =>
        Effect.zipRight(
          Ref.update(verifications, (n) => n + 1),
          hasher.verify(password, hash),
        ),
    }),
  ),
).pipe(Layer.provide(FastPasswordHasher.layer()))

const domainWith = (limiter: Layer.Layer<RateLimiter>, overrides: Partial<LimitRules> = {}) =>
  UseCases.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        CountingHasher,
        Limits.layer(new LimitRules({ ...rules, ...overrides })).pipe(Layer.provide(limiter)),
        PasswordPolicy.layer(),
      ),
    ),
    Layer.provideMerge(MemoryAdapters.layer),
  )
const LimitedDomain = domainWith(MemoryRateLimiter.layer)

// A limiter whose store is down: every decision dies as an adapter's would.
const DownLimiter = Layer.succeed(RateLimiter, {
  consume: () => Effect.die(new StoreUnavailable({ store: "redis", reason: "connection refused" })),
  attempt: () => Effect.die(new StoreUnavailable({ store: "redis", reason: "connection refused" })),
  reset: () => Effect.die(new StoreUnavailable({ store: "redis", reason: "connection refused" })),
  remember: () => Effect.die(new StoreUnavailable({ store: "redis", reason: "connection refused" })),
  recalls: () => Effect.die(new StoreUnavailable({ store: "redis", reason: "connection refused" })),
})

const addresses = (n: number) => Array.from({ length: n }, (_, i) => clientAt(`198.51.100.${i + 1}`))
const home = clientAt("192.0.2.1")
const login = (name: string, password: string, client: Client) =>
  Effect.flatMap(Accounts, (accounts) =>
    Effect.either(accounts.login(Schema.decodeUnknownSync(Credentials)({ login: name, password }), client)),
  )
/** `login` from each of `clients` in turn: a guesser spreading over many addresses. */
const guessFrom = (clients: ReadonlyArray<Client>, name: string, password = "a wrong guess") =>
  Effect.forEach(clients, (client) => login(name, password, client))
const waitFor = (retryAfterSeconds: number) => Either.left(new RateLimited({ retryAfterSeconds }))

describe("limits on the use cases", () => {
  it.effect("login - refuses the 4th sign-in from one address within the minute; another address goes on", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada", password: "ada's password" })
      for (const _ of [1, 2, 3]) expect(Either.isRight(yield* login("ada", "ada's password", home))).toBe(true)
      expect(yield* login("ada", "ada's password", home)).toEqual(waitFor(60))
      expect(Either.isRight(yield* login("ada", "ada's password", clientAt("192.0.2.2")))).toBe(true)
      yield* TestClock.adjust("1 minute")
      expect(Either.isRight(yield* login("ada", "ada's password", home))).toBe(true)
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect("login - counts an IPv6 client by its /64: another address in it shares the count", () =>
    Effect.gen(function* () {
      for (const host of ["1", "2", "3"]) yield* login("nobody", "a wrong guess", clientAt(`2001:db8:0:1::${host}`))
      expect(yield* login("nobody", "a wrong guess", clientAt("2001:db8:0:1:ffff::9"))).toEqual(waitFor(60))
      expect(yield* login("nobody", "a wrong guess", clientAt("2001:db8:0:2::1"))).toEqual(
        Either.left(new InvalidCredentials()),
      )
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect("login - after 5 failed guesses from 5 addresses, the next waits, right password and new address too", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada", password: "ada's password" })
      expect(yield* guessFrom(addresses(5), "ada")).toEqual(Array(5).fill(Either.left(new InvalidCredentials())))
      expect(yield* login("ada", "ada's password", clientAt("198.51.100.99"))).toEqual(waitFor(1))
      yield* TestClock.adjust("1 second")
      // The 6th failure: a wait of 2 seconds, then 4, 8, and 8 (the cap).
      expect(yield* login("ada", "a wrong guess", clientAt("198.51.100.99"))).toEqual(
        Either.left(new InvalidCredentials()),
      )
      expect(yield* login("ada", "ada's password", clientAt("198.51.100.98"))).toEqual(waitFor(2))
      yield* TestClock.adjust("2 seconds")
      expect(Either.isRight(yield* login("ada", "ada's password", clientAt("198.51.100.98")))).toBe(true)
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect("login - throttles a login that names no account exactly as one that does", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada", password: "ada's password" })
      const known = yield* guessFrom(addresses(6), "ada")
      const unknown = yield* guessFrom(addresses(6), "nobody")
      expect(unknown).toEqual(known)
      expect(known.at(-1)).toEqual(waitFor(1))
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect("login - lets the owner in from an address they logged in from before, while guesses elsewhere wait", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada", email: "ada@example.com", password: "ada's password" })
      expect(Either.isRight(yield* login("ada", "ada's password", home))).toBe(true)
      // Someone else keeps guessing, under both of the account's names.
      yield* guessFrom(addresses(6), "ada")
      yield* guessFrom(addresses(6), "ADA@example.com")
      expect(yield* login("ada", "ada's password", clientAt("198.51.100.99"))).toEqual(waitFor(1))
      expect(Either.isRight(yield* login("ada@example.com", "ada's password", home))).toBe(true)
      // That success forgot the failures under the name typed, not the other: nobody watching the
      // username learns that this email is the same account.
      expect(yield* login("ada", "a wrong guess", clientAt("198.51.100.99"))).toEqual(waitFor(1))
      expect(yield* guessFrom(addresses(5), "ada@example.com")).toEqual(
        Array(5).fill(Either.left(new InvalidCredentials())),
      )
      // From home, a wrong password is still just wrong: the way in needs the password.
      expect(yield* login("ada", "a wrong guess", home)).toEqual(Either.left(new InvalidCredentials()))
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect(
    "login - counts guesses from a known address on their own: sharing the owner's address is no way past",
    () =>
      Effect.gen(function* () {
        yield* aMember({ username: "ada", password: "ada's password" })
        const office = clientAt("192.0.2.77")
        expect(Either.isRight(yield* login("ada", "ada's password", office))).toBe(true)
        yield* guessFrom(addresses(6), "ada")
        // A colleague behind the same NAT guesses: 5 go through (the owner's typos would), then waits.
        expect(yield* guessFrom(Array(5).fill(office), "ada")).toEqual(
          Array(5).fill(Either.left(new InvalidCredentials())),
        )
        expect(yield* login("ada", "ada's password", office)).toEqual(waitFor(1))
      }).pipe(
        Effect.provide(
          domainWith(MemoryRateLimiter.layer, { login: new RateRule({ limit: 100, window: Duration.minutes(1) }) }),
        ),
      ),
  )

  it.effect("login - forgets an address after knownAddressFor: its owner then waits like anyone", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada", password: "ada's password" })
      expect(Either.isRight(yield* login("ada", "ada's password", home))).toBe(true)
      yield* TestClock.adjust(DEFAULT_LIMIT_RULES.knownAddressFor)
      yield* guessFrom(addresses(5), "ada")
      expect(yield* login("ada", "ada's password", home)).toEqual(waitFor(1))
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect("login - costs one verification however it fails: unknown, wrong, inactive, throttled", () =>
    Effect.gen(function* () {
      yield* aMember({ username: "ada", password: "ada's password" })
      yield* (yield* OwnAccount).deactivate(yield* aMember({ username: "sleeper", password: "sleeper's password" }))
      const costOf = <A, E>(attempt: Effect.Effect<A, E, Accounts>) =>
        Effect.gen(function* () {
          const before = yield* Ref.get(verifications)
          const outcome = yield* attempt
          return [outcome, (yield* Ref.get(verifications)) - before] as const
        })
      // A fresh address each time, so that only the account's count can refuse.
      let n = 50
      const elsewhere = () => clientAt(`192.0.2.${n++}`)
      expect(yield* costOf(login("nobody", "a wrong guess", elsewhere()))).toEqual([
        Either.left(new InvalidCredentials()),
        1,
      ])
      expect(yield* costOf(login("ada", "a wrong guess", elsewhere()))).toEqual([
        Either.left(new InvalidCredentials()),
        1,
      ])
      expect(yield* costOf(login("sleeper", "a wrong guess", elsewhere()))).toEqual([
        Either.left(new InvalidCredentials()),
        1,
      ])
      expect(yield* costOf(login("sleeper", "sleeper's password", elsewhere()))).toEqual([
        Either.left(new InactiveUser()),
        1,
      ])
      yield* guessFrom(addresses(5), "ada")
      yield* guessFrom(addresses(5), "nobody")
      expect(yield* costOf(login("ada", "ada's password", clientAt("192.0.2.51")))).toEqual([waitFor(1), 1])
      expect(yield* costOf(login("nobody", "a wrong guess", clientAt("192.0.2.51")))).toEqual([waitFor(1), 1])
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect("register - refuses the 3rd sign-up from one address within the minute", () =>
    Effect.gen(function* () {
      const accounts = yield* Accounts
      const signUp = (n: number) =>
        Effect.either(
          accounts.register(
            Schema.decodeUnknownSync(Registration)({
              email: `new${n}@example.com`,
              username: `new${n}`,
              password: "a new password",
            }),
            home,
          ),
        )
      expect(Either.isRight(yield* signUp(1))).toBe(true)
      expect(Either.isRight(yield* signUp(2))).toBe(true)
      expect(yield* signUp(3)).toEqual(waitFor(60))
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect("changePassword - a wrong current password counts as a failed guess at the account", () =>
    Effect.gen(function* () {
      const me = yield* aMember({ username: "ada", password: "ada's password" })
      const own = yield* OwnAccount
      const change = (current: string, client: Client) =>
        Effect.either(
          own.changePassword(
            me,
            Schema.decodeUnknownSync(PasswordChange)({ current_password: current, new_password: "a new password" }),
            client,
          ),
        )
      const stranger = clientAt("198.51.100.7")
      for (const _ of [1, 2, 3, 4, 5])
        expect(yield* change("a wrong guess", stranger)).toEqual(Either.left(new WrongPassword()))
      expect(yield* change("ada's password", stranger)).toEqual(waitFor(1))
      yield* TestClock.adjust("1 second")
      expect(yield* change("ada's password", stranger)).toEqual(Either.right(undefined))
    }).pipe(Effect.provide(LimitedDomain)),
  )

  it.effect(
    "lets sign-ins through when the limiter's store is down, but refuses guesses at a password (fail closed)",
    () =>
      Effect.gen(function* () {
        const accounts = yield* Accounts
        const registered = yield* Effect.either(
          accounts.register(
            Schema.decodeUnknownSync(Registration)({
              email: "a@example.com",
              username: "ada",
              password: "ada's password",
            }),
            home,
          ),
        )
        expect(Either.isRight(registered)).toBe(true)
        const exit = yield* Effect.exit(login("ada", "ada's password", home))
        expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBeInstanceOf(StoreUnavailable)
      }).pipe(Effect.provide(domainWith(DownLimiter))),
  )
})
