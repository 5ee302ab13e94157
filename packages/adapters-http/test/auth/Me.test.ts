import { expect, layer } from "@effect/vitest"
import { JwtAccessTokens } from "@userkit/adapters-crypto"
import { AccessTokens, SessionId, stamped, UserId, UserRepository } from "@userkit/domain"
import { DateTime, Effect, Redacted } from "effect"
import { decodeJwt } from "jose"
import { client } from "../support/Client.js"
import { bearer, loggedIn } from "../support/Fixtures.js"
import { type Answer, expectProblem, send } from "../support/Http.js"
import { testApp, tokenOptions } from "../support/TestApp.js"

const mePath = "/api/v1/auth/me"

const base64url = (value: object) => Buffer.from(JSON.stringify(value)).toString("base64url")

/** An unsigned token (`alg: none`) that says all the right things. */
const unsignedToken = (userId: string) => {
  const now = Math.floor(Date.now() / 1000)
  const claims = { sub: userId, iss: tokenOptions.issuer, aud: tokenOptions.audience, iat: now, exp: now + 300 }
  return `${base64url({ alg: "none", typ: "JWT" })}.${base64url(claims)}.`
}

layer(testApp(), { excludeTestServices: true })("GET /api/v1/auth/me", (it) => {
  it.effect("answers the caller's profile for a valid token, whatever the case of the scheme", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const me = yield* (yield* client(user.token)).auth.me()
      expect(me).toMatchObject({ id: user.id, email: user.email, username: user.username })
      for (const scheme of ["Bearer", "bearer", "BEARER"]) {
        const answer = yield* send(mePath, { headers: { authorization: `${scheme} ${user.token}` } })
        expect(answer.status).toBe(200)
        expect(answer.body).toMatchObject({ id: user.id, email: user.email, username: user.username })
        expect(answer.text).not.toContain("password")
      }
    }),
  )

  it.effect("answers every missing, malformed, foreign, forged or expired token with the same 401", () =>
    Effect.gen(function* () {
      const user = yield* loggedIn
      const userId = UserId.make(user.id)
      const tokens = yield* AccessTokens
      const foreign = yield* JwtAccessTokens.make({
        ...tokenOptions,
        secret: Redacted.make("another secret, also thirty-two bytes long"),
      })
      // The user's own session: only the token's other faults are what is refused.
      const grant = { userId, sessionId: SessionId.make(String(decodeJwt(user.token).sid)) }
      const now = yield* DateTime.now
      const foreignToken = Redacted.value((yield* foreign.issue(grant, now)).token)
      // Issued by the app's own key for a live session, but at the epoch: long expired.
      const expiredToken = Redacted.value((yield* tokens.issue(grant, DateTime.unsafeMake(0))).token)
      // Deactivated in the store alone, its session left live: the account's standing still refuses it.
      const sleeper = yield* loggedIn
      yield* (yield* UserRepository).setStanding(UserId.make(sleeper.id), yield* stamped({ is_active: false }))
      const inactiveToken = sleeper.token
      // Well signed, naming the live session of another user.
      const goneToken = Redacted.value(
        (yield* tokens.issue({ ...grant, userId: UserId.make(crypto.randomUUID()) }, now)).token,
      )

      const headers: ReadonlyArray<Record<string, string>> = [
        {},
        { authorization: "Basic dXNlcjpwYXNz" },
        { authorization: "Bearer" },
        { authorization: "Bearer " },
        { authorization: "Bearer not-a-token" },
        { authorization: `Bearer ${user.token} extra` },
        { authorization: user.token },
        // Seven characters of another scheme: the platform's bearer decoder would have kept the token.
        { authorization: `Token: ${user.token}` },
        bearer(foreignToken),
        bearer(unsignedToken(user.id)),
        bearer(expiredToken),
        bearer(inactiveToken),
        bearer(goneToken),
      ]
      const answers: Array<Answer> = []
      for (const header of headers) answers.push(yield* send(mePath, { headers: header }))
      for (const answer of answers) {
        expect(expectProblem(answer, 401, "unauthorized").detail).toBe("Could not validate credentials")
        expect(answer.headers.get("www-authenticate")).toBe("Bearer")
        expect(answer.text).toBe(answers[0]?.text)
      }
    }),
  )
})
