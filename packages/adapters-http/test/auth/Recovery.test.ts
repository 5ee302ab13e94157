import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { bearer, loggedIn, loggedInSuperuser } from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const requestPath = "/api/v1/auth/email/verify/request"
const forgotPath = "/api/v1/auth/password/forgot"

layer(testApp(), { excludeTestServices: true })("the recovery endpoints, by who asks", (it) => {
  it.effect("verify/request: a stranger, with no token or a garbage one, gets the one 401", () =>
    Effect.gen(function* () {
      expectProblem(yield* send(requestPath, { method: "POST" }), 401, "unauthorized")
      expectProblem(yield* send(requestPath, { method: "POST", headers: bearer("garbage") }), 401, "unauthorized")
    }),
  )

  it.effect("verify/request: a user with an unverified address gets 202; a superuser vouched for gets 409", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const asked = yield* send(requestPath, { method: "POST", headers: bearer(user.token) })
      expect(asked.status).toBe(202)
      expect(asked.body).toEqual({ detail: "A link to verify your email address is on its way." })
      const root = yield* loggedInSuperuser
      expectProblem(
        yield* send(requestPath, { method: "POST", headers: bearer(root.token) }),
        409,
        "email_already_verified",
      )
    }),
  )

  it.effect("forgot: anyone gets the same 202 and body for an account's address and an unknown one", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const known = yield* send(forgotPath, { method: "POST", json: { email: user.email } })
      const unknown = yield* send(forgotPath, { method: "POST", json: { email: `nobody-${user.email}` } })
      expect([known.status, unknown.status]).toEqual([202, 202])
      expect(known.text).toBe(unknown.text)
    }),
  )
})
