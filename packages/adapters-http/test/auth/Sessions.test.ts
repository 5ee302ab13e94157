import { expect, layer } from "@effect/vitest"
import { DEFAULT_SESSION_RULES, SessionRules } from "@userkit/domain"
import { Duration, Effect } from "effect"
import { bearer, loggedInSuperuser, register } from "../support/Fixtures.js"
import { type Answer, expectProblem, send } from "../support/Http.js"
import { testApp } from "../support/TestApp.js"

// A reuse window short enough to outwait in a test.
const REUSE_WINDOW_MS = 300
const rules = new SessionRules({ ...DEFAULT_SESSION_RULES, reuseWindow: Duration.millis(REUSE_WINDOW_MS) })

interface Pair {
  readonly access_token: string
  readonly refresh_token: string
}

const pairOf = (answer: Answer): Pair => {
  expect(answer.status).toBe(200)
  expect(answer.headers.get("cache-control")).toBe("no-store")
  const { access_token, refresh_token } = answer.body as Pair
  return { access_token, refresh_token }
}

const logIn = (username: string, password: string, userAgent = "test laptop") =>
  Effect.map(
    send("/api/v1/auth/login", { method: "POST", form: { username, password }, headers: { "user-agent": userAgent } }),
    pairOf,
  )
const refresh = (refresh_token: string) => send("/api/v1/auth/refresh", { method: "POST", json: { refresh_token } })
const me = (pair: Pair) => Effect.map(send("/api/v1/auth/me", { headers: bearer(pair.access_token) }), (a) => a.status)
/** A new user, logged in once. */
const signedIn = Effect.suspend(() =>
  Effect.flatMap(register(), (user) => Effect.map(logIn(user.username, user.password), (pair) => ({ user, pair }))),
)

layer(testApp({}, { sessionRules: rules }), { excludeTestServices: true })("sessions over HTTP", (it) => {
  it.effect("POST /auth/refresh trades a refresh token for a new pair, as JSON or as the OAuth2 form", () =>
    Effect.gen(function* () {
      const { pair } = yield* signedIn
      const byJson = pairOf(yield* refresh(pair.refresh_token))
      expect(byJson.refresh_token).not.toBe(pair.refresh_token)
      expect(yield* me(byJson)).toBe(200)
      const byForm = pairOf(
        yield* send("/api/v1/auth/refresh", {
          method: "POST",
          form: { grant_type: "refresh_token", refresh_token: byJson.refresh_token },
        }),
      )
      expect(yield* me(byForm)).toBe(200)
      for (const junk of ["", "garbage", "x".repeat(43)]) {
        expectProblem(yield* refresh(junk), 401, "invalid_refresh_token")
      }
      expectProblem(yield* refresh("x".repeat(300)), 422, "invalid_request")
    }),
  )

  it.effect(
    "10 concurrent refreshes with one token get 10 answers carrying one new pair, and no one is logged out",
    () =>
      Effect.gen(function* () {
        const { pair } = yield* signedIn
        const answers = yield* Effect.all(
          Array.from({ length: 10 }, () => refresh(pair.refresh_token)),
          {
            concurrency: "unbounded",
          },
        )
        const pairs = answers.map(pairOf)
        expect(new Set(pairs.map((p) => `${p.access_token} ${p.refresh_token}`)).size).toBe(1)
        const next = pairs[0] as Pair
        expect(yield* me(next)).toBe(200)
        expect((yield* refresh(next.refresh_token)).status).toBe(200)
      }),
  )

  it.effect("a refresh token presented after the reuse window ends its session and its access tokens at once", () =>
    Effect.gen(function* () {
      const { pair } = yield* signedIn
      const next = pairOf(yield* refresh(pair.refresh_token))
      yield* Effect.sleep(Duration.millis(REUSE_WINDOW_MS + 50))
      expectProblem(yield* refresh(pair.refresh_token), 401, "refresh_token_reused")
      expectProblem(yield* send("/api/v1/auth/me", { headers: bearer(next.access_token) }), 401, "unauthorized")
      expectProblem(yield* refresh(next.refresh_token), 401, "invalid_refresh_token")
    }),
  )

  it.effect("GET /auth/sessions lists the caller's sessions; DELETE ends one of them, another user's is a 404", () =>
    Effect.gen(function* () {
      const { user, pair: laptop } = yield* signedIn
      const phone = yield* logIn(user.username, user.password, "test phone")
      const stranger = yield* signedIn
      const listed = yield* send("/api/v1/auth/sessions", { headers: bearer(laptop.access_token) })
      expect(listed.status).toBe(200)
      const sessions = listed.body as ReadonlyArray<{ id: string; user_agent: string; current: boolean }>
      expect(sessions.map((s) => [s.user_agent, s.current])).toEqual([
        ["test phone", false],
        ["test laptop", true],
      ])
      expect(Object.keys(sessions[0] ?? {}).sort()).toEqual([
        "created_at",
        "current",
        "expires_at",
        "id",
        "ip_address",
        "last_used_at",
        "user_agent",
      ])
      const theirs = (yield* send("/api/v1/auth/sessions", { headers: bearer(stranger.pair.access_token) }))
        .body as ReadonlyArray<{ id: string }>
      for (const id of [theirs[0]?.id, "not-a-uuid", crypto.randomUUID()]) {
        const answer = yield* send(`/api/v1/auth/sessions/${id}`, {
          method: "DELETE",
          headers: bearer(laptop.access_token),
        })
        expectProblem(answer, 404, "session_not_found")
      }
      expect(yield* me(stranger.pair)).toBe(200)
      const phoneId = sessions[0]?.id
      const ended = yield* send(`/api/v1/auth/sessions/${phoneId}`, {
        method: "DELETE",
        headers: bearer(laptop.access_token),
      })
      expect(ended.status).toBe(204)
      expect([yield* me(phone), yield* me(laptop)]).toEqual([401, 200])
    }),
  )

  it.effect("POST /auth/logout ends this session (local, the default), the others, or all of them", () =>
    Effect.gen(function* () {
      const { user, pair } = yield* signedIn
      const three = Effect.all([
        logIn(user.username, user.password),
        logIn(user.username, user.password),
        logIn(user.username, user.password),
      ])
      const logout = (from: Pair, json: unknown) =>
        send("/api/v1/auth/logout", { method: "POST", json, headers: bearer(from.access_token) })
      const statuses = (pairs: ReadonlyArray<Pair>) => Effect.forEach(pairs, me)

      expect((yield* logout(pair, {})).status).toBe(204)
      expect(yield* me(pair)).toBe(401)
      const others = yield* three
      expect((yield* logout(others[0], { scope: "others" })).status).toBe(204)
      expect(yield* statuses(others)).toEqual([200, 401, 401])
      const global = yield* three
      expect((yield* logout(global[1], { scope: "global" })).status).toBe(204)
      expect(yield* statuses([...global, others[0]])).toEqual([401, 401, 401, 401])
      expectProblem(yield* logout(global[0], {}), 401, "unauthorized")
      const last = yield* logIn(user.username, user.password)
      expectProblem(yield* logout(last, { scope: "everywhere" }), 422, "invalid_request")
    }),
  )

  it.effect("changing the password ends every other session and keeps the caller's", () =>
    Effect.gen(function* () {
      const { user, pair: here } = yield* signedIn
      const there = yield* logIn(user.username, user.password)
      const changed = yield* send("/api/v1/users/me/password", {
        method: "POST",
        json: { current_password: user.password, new_password: "a brand new passphrase" },
        headers: bearer(here.access_token),
      })
      expect(changed.status).toBe(204)
      expect([yield* me(here), yield* me(there)]).toEqual([200, 401])
      expectProblem(yield* refresh(there.refresh_token), 401, "invalid_refresh_token")
    }),
  )

  it.effect("a superuser lists an account's sessions and ends one; others get 403, an unknown session 404", () =>
    Effect.gen(function* () {
      const admin = yield* loggedInSuperuser
      const { user, pair } = yield* signedIn
      const path = `/api/v1/admin/users/${user.id}/sessions`
      const listed = yield* send(path, { headers: bearer(admin.token) })
      expect(listed.status).toBe(200)
      const sessions = listed.body as ReadonlyArray<{ id: string; current: boolean }>
      expect(sessions.map((s) => s.current)).toEqual([false])
      expectProblem(yield* send(path, { headers: bearer(pair.access_token) }), 403, "forbidden")
      const one = `${path}/${sessions[0]?.id}`
      expectProblem(yield* send(one, { method: "DELETE", headers: bearer(pair.access_token) }), 403, "forbidden")
      expect((yield* send(one, { method: "DELETE", headers: bearer(admin.token) })).status).toBe(204)
      expect(yield* me(pair)).toBe(401)
      expectProblem(yield* send(one, { method: "DELETE", headers: bearer(admin.token) }), 404, "session_not_found")
      expectProblem(
        yield* send(`/api/v1/admin/users/${crypto.randomUUID()}/sessions`, { headers: bearer(admin.token) }),
        404,
        "user_not_found",
      )
    }),
  )

  it.effect(
    "a stranger (no token, or a garbage one) gets the same 401 from every session endpoint, and learns nothing",
    () =>
      Effect.gen(function* () {
        const { user } = yield* signedIn
        const someId = crypto.randomUUID()
        const calls: ReadonlyArray<readonly [string, string, unknown]> = [
          ["GET", "/api/v1/auth/sessions", undefined],
          ["DELETE", `/api/v1/auth/sessions/${someId}`, undefined],
          ["POST", "/api/v1/auth/logout", {}],
          ["GET", `/api/v1/admin/users/${user.id}/sessions`, undefined],
          ["DELETE", `/api/v1/admin/users/${user.id}/sessions/${someId}`, undefined],
        ]
        const answers: Array<string> = []
        for (const [method, path, json] of calls) {
          for (const headers of [{}, bearer("garbage")]) {
            const answer = yield* send(path, { method, headers, ...(json === undefined ? {} : { json }) })
            expectProblem(answer, 401, "unauthorized")
            answers.push(answer.text)
          }
        }
        expect(new Set(answers).size).toBe(1)
      }),
  )
})
