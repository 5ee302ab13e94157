import { SqlError } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { StoreUnavailable } from "@userkit/domain"
import { Cause, Effect, Exit } from "effect"
import pg from "pg"
import { isUnavailable, sqlDefect } from "../src/SqlFailure.js"

/** The defect `sqlDefect` makes of a driver error, squashed as a logger would print it. */
const defectOf = (cause: unknown) =>
  Effect.gen(function* () {
    const exit = yield* Effect.exit(sqlDefect("reading a user")(new SqlError.SqlError({ cause, message: "Failed" })))
    if (Exit.isSuccess(exit) || !Cause.isDie(exit.cause)) return expect.fail("not a defect")
    return Cause.squash(exit.cause)
  })

// Port 1 on the loopback: nothing listens there.
const refusedConnection = Effect.promise(() => {
  const client = new pg.Client({ host: "127.0.0.1", port: 1, user: "postgres" })
  return client.connect().then(
    () => expect.fail("connected to a port nobody listens on"),
    (error: unknown) => error,
  )
})

describe("SQL failures", () => {
  it.live("a refused, dropped or timed-out connection is StoreUnavailable, naming no row", () =>
    Effect.gen(function* () {
      const refused = yield* defectOf(yield* refusedConnection)
      expect(refused).toBeInstanceOf(StoreUnavailable)
      expect(String(refused)).toContain("ECONNREFUSED")
      for (const error of [
        { message: 'database "x" is not currently accepting connections', code: "55000", severity: "FATAL" },
        { message: "terminating connection due to administrator command", code: "57P01", severity: "FATAL" },
        { message: "sorry, too many clients already", code: "53300", severity: "FATAL" },
        { message: "Connection terminated unexpectedly" },
        { message: "timeout exceeded when trying to connect" },
        { message: "read ETIMEDOUT", code: "ETIMEDOUT", syscall: "read" },
      ])
        expect(isUnavailable(error), error.message).toBe(true)
    }),
  )

  it.live("any other failure is a defect that keeps the SQLSTATE and constraint and quotes no value", () =>
    Effect.gen(function* () {
      // What pg's DatabaseError carries for a violated constraint: `detail` quotes the row.
      const violation = Object.assign(new Error('new row violates check constraint "users_password_hash_check"'), {
        code: "23514",
        severity: "ERROR",
        constraint: "users_password_hash_check",
        detail: "Failing row contains (ada@example.com, $2b$12$secret-hash).",
      })
      const defect = yield* defectOf(violation)
      expect(defect).not.toBeInstanceOf(StoreUnavailable)
      expect(String(defect)).toContain("SQLSTATE 23514")
      expect(String(defect)).toContain("users_password_hash_check")
      expect(JSON.stringify(defect)).not.toContain("secret-hash")
      expect(String(defect)).not.toContain("ada@example.com")
      // A message that quotes the value it could not read.
      const syntax = { message: 'invalid input syntax for type uuid: "my secret"', code: "22P02", severity: "ERROR" }
      expect(isUnavailable(syntax)).toBe(false)
      expect(String(yield* defectOf(syntax))).not.toContain("my secret")
    }),
  )
})
