import { expect, layer } from "@effect/vitest"
import { BackoffRule, DEFAULT_LIMIT_RULES, LimitRules, RateRule } from "@userkit/domain"
import { Duration, Effect } from "effect"
import { loggedIn, register } from "../support/Fixtures.js"
import { type Answer, expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

// The test's requests all come from 127.0.0.1, a trusted proxy here: X-Forwarded-For names the
// client each request stands for, so one test plays many addresses.
const rules = new LimitRules({
  ...DEFAULT_LIMIT_RULES,
  login: new RateRule({ limit: 3, window: Duration.minutes(1) }),
  register: new RateRule({ limit: 1000, window: Duration.minutes(1) }),
  passwordChange: new RateRule({ limit: 2, window: Duration.minutes(1) }),
  failedLogins: new BackoffRule({
    failuresBeforeDelay: 5,
    base: Duration.seconds(30),
    cap: Duration.minutes(15),
    forgetAfter: Duration.hours(1),
  }),
})

let next = 1
/** A client address no other test uses. */
const freshAddress = () => `198.51.${Math.floor(next / 250)}.${(next++ % 250) + 1}`

const login = (username: string, password: string, address: string) =>
  send("/api/v1/auth/login", {
    method: "POST",
    form: { username, password },
    headers: { "x-forwarded-for": address },
  })

const expectWait = (answer: Answer, seconds: number) => {
  const problem = expectProblem(answer, 429, "rate_limited")
  expect(answer.headers.get("retry-after")).toBe(String(seconds))
  return problem
}

layer(testApp({ trustedProxies: ["loopback"] }, { limits: rules }), { excludeTestServices: true })(
  "limits over HTTP",
  (it) => {
    it.effect("answers the 4th sign-in from one address within the minute 429 rate_limited with Retry-After", () =>
      Effect.gen(function* () {
        const user = yield* register()
        const address = freshAddress()
        for (const _ of [1, 2, 3]) expect((yield* login(user.username, user.password, address)).status).toBe(200)
        expectWait(yield* login(user.username, user.password, address), 60)
        expect((yield* login(user.username, user.password, freshAddress())).status).toBe(200)
      }),
    )

    it.effect(
      "after 5 failed guesses from 5 addresses, answers 429 to the 6th, from anywhere new, right password too",
      () =>
        Effect.gen(function* () {
          const user = yield* register()
          for (const _ of [1, 2, 3, 4, 5]) {
            expectProblem(yield* login(user.username, "a wrong guess", freshAddress()), 401, "unauthorized")
          }
          expectWait(yield* login(user.username, user.password, freshAddress()), 30)
        }),
    )

    it.effect("throttles an unknown login with the same answer, byte for byte, as a known account", () =>
      Effect.gen(function* () {
        const user = yield* register()
        const answersFor = (name: string) =>
          Effect.forEach([1, 2, 3, 4, 5, 6], () => login(name, "a wrong guess", freshAddress()))
        const known = yield* answersFor(user.username)
        const unknown = yield* answersFor(`nobody-${user.username}`)
        const shape = (a: Answer) => [a.status, a.headers.get("retry-after"), a.text]
        expect(unknown.map(shape)).toEqual(known.map(shape))
        expectWait(known[5] as Answer, 30)
      }),
    )

    it.effect("lets the owner in from an address they logged in from before, while the account's guesses wait", () =>
      Effect.gen(function* () {
        const user = yield* register()
        const home = freshAddress()
        expect((yield* login(user.username, user.password, home)).status).toBe(200)
        for (const _ of [1, 2, 3, 4, 5, 6]) yield* login(user.username, "a wrong guess", freshAddress())
        expectWait(yield* login(user.username, user.password, freshAddress()), 30)
        expect((yield* login(user.email, user.password, home)).status).toBe(200)
      }),
    )

    it.effect("limits password changes per address: the 3rd within the minute waits, right password or not", () =>
      Effect.gen(function* () {
        const user = yield* loggedIn
        const address = freshAddress()
        const change = (current: string) =>
          send("/api/v1/users/me/password", {
            method: "POST",
            json: { current_password: current, new_password: "a brand new password" },
            headers: { authorization: `Bearer ${user.token}`, "x-forwarded-for": address },
          })
        expectProblem(yield* change("a wrong guess"), 400, "wrong_password")
        expectProblem(yield* change("a wrong guess"), 400, "wrong_password")
        expectWait(yield* change(user.password), 60)
      }),
    )
  },
)

layer(testApp({}, { limits: rules }), { excludeTestServices: true })("limits with no trusted proxy", (it) => {
  it.effect("count the socket's address: a client cannot escape them by sending X-Forwarded-For", () =>
    Effect.gen(function* () {
      const user = yield* register()
      for (const _ of [1, 2, 3]) expect((yield* login(user.username, user.password, freshAddress())).status).toBe(200)
      expectWait(yield* login(user.username, user.password, freshAddress()), 60)
    }),
  )
})
