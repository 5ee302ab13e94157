import type { SqlError } from "@effect/sql"
import { StoreUnavailable } from "@userkit/domain"
import { Effect, type ParseResult, Predicate } from "effect"

/** What a driver error may say about itself; pg's DatabaseError also has `detail`, which can quote a row. */
interface DriverError {
  readonly message: string
  readonly code?: unknown
  readonly severity?: unknown
  readonly constraint?: unknown
  readonly syscall?: unknown
}

const asDriverError = (cause: unknown): DriverError | undefined =>
  Predicate.hasProperty(cause, "message") && typeof cause.message === "string"
    ? {
        message: cause.message,
        code: Reflect.get(cause, "code"),
        severity: Reflect.get(cause, "severity"),
        constraint: Reflect.get(cause, "constraint"),
        syscall: Reflect.get(cause, "syscall"),
      }
    : undefined

// SQLSTATE classes of a lost or refused session: connection exception, insufficient resources,
// operator intervention (shutdown, cannot connect now, database dropped).
const unavailableSqlState = /^(08|53|57P)/
// pg's own messages for a connection it lost or could not make.
const unavailableMessage =
  /connection terminated|timeout exceeded when trying to connect|not queryable|connection ended/i

/** Whether the error says the database cannot be reached, rather than that this statement failed. */
export const isUnavailable = (error: DriverError): boolean => {
  if (error.severity === "FATAL" || error.severity === "PANIC") return true
  if (typeof error.code === "string" && unavailableSqlState.test(error.code)) return true
  // A system error (ECONNREFUSED, ETIMEDOUT, EPIPE...) from the socket.
  if (typeof error.syscall === "string") return true
  return error.severity === undefined && unavailableMessage.test(error.message)
}

/**
 * The driver's message with every quoted value cut ("invalid input syntax for type uuid: \"...\""),
 * plus the SQLSTATE and the constraint: what an operator needs, and no row.
 */
const describe = (error: DriverError): string => {
  const message = error.message.replace(/"[^"]*"/g, '"…"')
  const code = typeof error.code === "string" ? ` (SQLSTATE ${error.code})` : ""
  const constraint = typeof error.constraint === "string" ? ` on constraint ${error.constraint}` : ""
  return `${message}${code}${constraint}`
}

/**
 * A transaction PostgreSQL rolled back to break a deadlock (40P01) or a serialization conflict
 * (40001): nothing of it happened, and running it again may well succeed (see PgTransactions).
 */
export class TransactionConflict extends Error {}

const conflictSqlState = /^(40P01|40001)$/

/**
 * A SqlError as the defect it is: `StoreUnavailable` when the database cannot be reached (the edge
 * answers 503), else an Error naming `what` failed and why, quoting no row contents.
 */
export const sqlDefect =
  (what: string) =>
  (error: SqlError.SqlError): Effect.Effect<never> => {
    const cause = asDriverError(error.cause)
    if (cause === undefined) return Effect.die(new Error(`${what} failed: ${error.message}`))
    if (isUnavailable(cause)) return Effect.die(new StoreUnavailable({ store: "database", reason: describe(cause) }))
    if (typeof cause.code === "string" && conflictSqlState.test(cause.code))
      return Effect.die(new TransactionConflict(`${what} failed: ${describe(cause)}`))
    return Effect.die(new Error(`${what} failed: ${describe(cause)}`))
  }

/** A row the schema refuses is a defect that names no value (a parse error quotes the actual one). */
export const rowDefect =
  (what: string, table = "users") =>
  (_: ParseResult.ParseError): Effect.Effect<never> =>
    Effect.die(new Error(`${what}: a row of the ${table} table does not match its schema`))
