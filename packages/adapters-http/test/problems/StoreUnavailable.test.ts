import { expect, layer } from "@effect/vitest"
import { MemoryUserRepository } from "@userkit/adapters-memory"
import { StoreUnavailable, UserRepository } from "@userkit/domain"
import { Effect, Layer, Ref } from "effect"
import { RETRY_AFTER_SECONDS } from "../../src/problems/ProblemResponses.js"
import { aRegistration, bearer, loggedIn } from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { TestApp, testApp } from "../support/TestApp.js"

/** Whether the store below is down: then its reads and inserts die as the PostgreSQL adapter's do. */
const down = Ref.unsafeMake(false)

const outage = new StoreUnavailable({ store: "database", reason: "connect ECONNREFUSED 127.0.0.1:5432" })

const FlakyUsers = Layer.effect(
  UserRepository,
  Effect.map(UserRepository, (users) => {
    const unlessDown = <A, E>(effect: Effect.Effect<A, E>) =>
      Effect.flatMap(Ref.get(down), (isDown) => (isDown ? Effect.die(outage) : effect))
    return UserRepository.of({
      ...users,
      insert: (user) => unlessDown(users.insert(user)),
      findById: (id) => unlessDown(users.findById(id)),
      findByLogin: (login) => unlessDown(users.findByLogin(login)),
    })
  }),
).pipe(Layer.provide(MemoryUserRepository.layer))

const timeoutMs = 1000

layer(testApp({}, { users: FlakyUsers }), { excludeTestServices: true })("while the store is unavailable", (it) => {
  it.effect("answers 503 with Retry-After, logs a warning per request, and serves again once it is back", () =>
    Effect.gen(function* () {
      const { logs } = yield* TestApp
      const user = yield* loggedIn
      yield* Ref.set(down, true)
      const answers = [
        yield* send("/api/v1/auth/me", { headers: bearer(user.token), timeoutMs }),
        yield* send("/api/v1/auth/login", {
          method: "POST",
          form: { username: user.username, password: user.password },
          timeoutMs,
        }),
        yield* send("/api/v1/auth/register", { method: "POST", json: aRegistration(), timeoutMs }),
      ]
      for (const answer of answers) {
        expectProblem(answer, 503, "store_unavailable")
        expect(answer.headers.get("retry-after")).toBe(String(RETRY_AFTER_SECONDS))
      }
      const outages = logs.filter((entry) => entry.level === "WARN" && entry.annotations.store === "database")
      expect(outages).toHaveLength(answers.length)
      expect(logs.filter((entry) => entry.level === "ERROR")).toEqual([])

      yield* Ref.set(down, false)
      expect((yield* send("/api/v1/auth/me", { headers: bearer(user.token), timeoutMs })).status).toBe(200)
    }),
  )
})
