import { expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import { aRegistration, bearer, loggedIn, loggedInSuperuser, storedUser } from "../support/Fixtures.js"
import { expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

const users = "/api/v1/admin/users"
const json = { "content-type": "application/json" }

interface Attempt {
  readonly method: string
  readonly path: string
  readonly body?: string
}

/** Every admin route and method, each with input that would fail validation (or be refused) if it got that far. */
const attempts = (victimId: string): ReadonlyArray<Attempt> => {
  const invalid = [
    `${users}?size=1000&sort=password&after=%00`,
    `${users}/?page=-1`,
    `${users}/not-a-uuid`,
    `${users}/${crypto.randomUUID()}`,
    `${users}/${victimId}`,
  ]
  const bodies = ['{"is_superuser": true, "email": 42', '{"is_superuser": true}', "[]", JSON.stringify(aRegistration())]
  return [
    ...invalid.map((path) => ({ method: "GET", path })),
    ...invalid.slice(2).map((path) => ({ method: "DELETE", path })),
    ...bodies.map((body) => ({ method: "POST", path: users, body })),
    ...bodies.flatMap((body) => invalid.slice(2).map((path) => ({ method: "PATCH", path, body }))),
  ]
}

const attempt = (a: Attempt, headers: Record<string, string>) =>
  send(a.path, {
    method: a.method,
    headers: { ...json, ...headers },
    ...(a.body === undefined ? {} : { body: a.body }),
  })

layer(testApp(), { excludeTestServices: true })("who may reach the admin endpoints", (it) => {
  it.effect("an ordinary user gets 403 on every admin route and method, before anything sent is validated", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const victim = yield* loggedIn
      const before = yield* storedUser(victim.id)
      for (const a of attempts(victim.id)) {
        const answer = yield* attempt(a, bearer(user.token))
        expect({ ...a, status: answer.status }).toEqual({ ...a, status: 403 })
        expect(expectProblem(answer, 403, "forbidden").detail).toBe("only a superuser may do this")
      }
      expect(yield* storedUser(victim.id)).toEqual(before)
      expect((yield* send("/api/v1/auth/me", { headers: bearer(user.token) })).body).toMatchObject({
        is_superuser: false,
      })
    }),
  )

  it.effect("anyone without a valid token gets 401 there, a former superuser too", () =>
    Effect.gen(function* () {
      const former = yield* loggedInSuperuser
      const keeper = yield* loggedInSuperuser
      const demote = yield* send(`${users}/${former.id}`, {
        method: "PATCH",
        headers: bearer(keeper.token),
        json: { is_active: false },
      })
      expect(demote.status).toBe(200)
      for (const headers of [{}, { authorization: "Bearer not-a-token" }, bearer(former.token)]) {
        for (const a of attempts(keeper.id)) expectProblem(yield* attempt(a, headers), 401, "unauthorized")
      }
    }),
  )

  it.effect("no body an ordinary user can send raises their privileges", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const raise = { is_superuser: true, is_active: true }
      const tries = [
        ["PATCH", "/api/v1/users/me", raise],
        ["PUT", "/api/v1/users/me", { ...raise, full_name: "root" }],
        [
          "POST",
          "/api/v1/users/me/password",
          { current_password: user.password, new_password: "x".repeat(12), ...raise },
        ],
        ["POST", "/api/v1/auth/register", { ...aRegistration(), ...raise }],
      ] as const
      for (const [method, path, body] of tries) {
        expectProblem(yield* send(path, { method, headers: bearer(user.token), json: body }), 422, "invalid_request")
      }
      // The login form ignores fields it does not know; they change nothing either.
      const login = yield* send("/api/v1/auth/login", {
        method: "POST",
        form: { username: user.username, password: user.password, is_superuser: "true", scope: "admin" },
      })
      expect(login.body).toMatchObject({ user: { is_superuser: false } })
      expect(yield* storedUser(user.id)).toMatchObject({
        _tag: "Some",
        value: { is_superuser: false, full_name: null },
      })
    }),
  )
})
