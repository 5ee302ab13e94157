import type { HttpServerResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { StoreUnavailable } from "@userkit/domain"
import { Cause, Effect, HashMap, Logger } from "effect"
import { Conflict, problem, ServiceUnavailable } from "../../src/problems/Problem.js"
import { problemResponses, RETRY_AFTER_SECONDS } from "../../src/problems/ProblemResponses.js"

const bodyOf = (response: HttpServerResponse.HttpServerResponse): unknown =>
  response.body._tag === "Uint8Array" ? JSON.parse(new TextDecoder().decode(response.body.body)) : undefined

const internalError = {
  type: "urn:userkit:problem:internal_error",
  title: "Internal Server Error",
  status: 500,
  detail: "an unexpected error occurred",
  code: "internal_error",
}

interface Logged {
  readonly level: string
  /** Everything a logger could print: message, annotations and the cause rendered as loggers do. */
  readonly text: string
  readonly hasCause: boolean
}

/** Runs `effect` through `problemResponses`, keeping what it logged. */
const answered = <E>(effect: Effect.Effect<HttpServerResponse.HttpServerResponse, E>) =>
  Effect.gen(function* () {
    const logged: Array<Logged> = []
    const capture = Logger.make(({ logLevel, message, annotations, cause }) =>
      logged.push({
        level: logLevel.label,
        text: [
          JSON.stringify(message),
          JSON.stringify(Object.fromEntries(HashMap.toEntries(annotations))),
          Cause.pretty(cause, { renderErrorCause: true }),
        ].join("\n"),
        hasCause: !Cause.isEmpty(cause),
      }),
    )
    const response = yield* problemResponses(effect).pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
    return { response, logged }
  })

const outage = new StoreUnavailable({ store: "database", reason: "connect ECONNREFUSED 127.0.0.1:5432" })

// No request can make the server fail this way on purpose, so the mapping is checked on its own.
describe("unexpected failures", () => {
  it.effect("a defect becomes a 500 problem with a generic detail, and what it was goes to the log only", () =>
    Effect.gen(function* () {
      const { response, logged } = yield* answered(Effect.die(new Error("pool lost: postgres://admin:hunter2@db")))
      expect(response.status).toBe(500)
      expect(response.headers["content-type"]).toBe("application/problem+json")
      expect(bodyOf(response)).toEqual(internalError)
      expect(logged).toHaveLength(1)
      expect(logged[0]?.level).toBe("ERROR")
      expect(logged[0]?.text).toContain("pool lost")
      expect(logged[0]?.text).toContain("    at ")
      expect(logged[0]?.text).not.toContain("hunter2")
    }),
  )

  it.effect("logs a database error's SQLSTATE and constraint, never its detail, a row, a password or a token", () =>
    Effect.gen(function* () {
      const token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTkwYTAwMC0wMDAwIn0.c2lnbmF0dXJlLW9mLWEtdG9rZW4"
      const hash = "$2b$12$abcdefghijklmnopqrstuu7Zp1fSfWKQz6oCmMDqUzDmZpTdzN6Ki"
      const driverError = Object.assign(new Error('duplicate key value violates unique constraint "users_email_key"'), {
        code: "23505",
        constraint: "users_email_key",
        table: "users",
        detail: "Key (lower(email))=(ada@example.com) already exists.",
        parameters: ["ada@example.com", hash],
      })
      const defects = [
        new Error("Failed to execute statement", { cause: driverError }),
        new Error(`invalid input syntax for type uuid: "${token}"`),
        new Error(`Expected User, actual {"email":"ada@example.com","password_hash":"${hash}"}`),
        { query: "INSERT INTO users ...", password: "correct horse battery", token },
        `request failed for Bearer ${token}`,
        new Error(`GET /api/v1/auth/me?access_token=${token}`),
      ]
      for (const defect of defects) {
        const { response, logged } = yield* answered(Effect.die(defect))
        expect(response.status).toBe(500)
        const text = logged.map((line) => line.text).join("\n")
        for (const secret of ["ada@example.com", hash, "correct horse battery", token, "already exists"])
          expect(text, String(defect)).not.toContain(secret)
      }
      const { logged } = yield* answered(Effect.die(defects[0]))
      expect(logged[0]?.text).toMatch(/code=23505/)
      expect(logged[0]?.text).toMatch(/constraint=users_email_key/)
    }),
  )

  it.effect("an undeclared failure becomes the same 500", () =>
    Effect.gen(function* () {
      const { response, logged } = yield* answered(Effect.fail({ reason: "an internal detail", secret: "s3cr3t" }))
      expect(response.status).toBe(500)
      expect(bodyOf(response)).toEqual(internalError)
      expect(logged.map((line) => line.text).join("\n")).not.toContain("s3cr3t")
    }),
  )

  it.effect("a declared problem is answered as it is", () =>
    Effect.gen(function* () {
      const { response } = yield* answered(Effect.fail(problem(Conflict, "username_taken", "taken")))
      expect(response.status).toBe(409)
      expect(bodyOf(response)).toMatchObject({ code: "username_taken", detail: "taken" })
    }),
  )
})

describe("an unavailable store", () => {
  it.effect("is a 503 problem with Retry-After, logged as one warning without a stack", () =>
    Effect.gen(function* () {
      for (const raised of [Effect.die(outage), Effect.fail(outage)]) {
        const { response, logged } = yield* answered(raised)
        expect(response.status).toBe(503)
        expect(response.headers["content-type"]).toBe("application/problem+json")
        expect(response.headers["retry-after"]).toBe(String(RETRY_AFTER_SECONDS))
        expect(bodyOf(response)).toMatchObject({ status: 503, code: "store_unavailable" })
        expect(logged).toHaveLength(1)
        expect(logged[0]).toMatchObject({ level: "WARN", hasCause: false })
        expect(logged[0]?.text).toContain("ECONNREFUSED")
        expect(logged[0]?.text).not.toContain("    at ")
      }
    }),
  )

  it.effect("every 503, a handler's own too, says when to retry", () =>
    Effect.gen(function* () {
      const { response } = yield* answered(
        Effect.fail(problem(ServiceUnavailable, "not_ready", "database unreachable")),
      )
      expect(response.status).toBe(503)
      expect(response.headers["retry-after"]).toBe(String(RETRY_AFTER_SECONDS))
    }),
  )
})
