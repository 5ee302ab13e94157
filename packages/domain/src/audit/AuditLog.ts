import { Context, type DateTime, type Effect } from "effect"
import type { UserId } from "../users/User.js"
import type { AuditEvent, AuditEventId, AuditEventType } from "./AuditEvent.js"

/**
 * Which events to read: all of them but for the filters given. `since` is inclusive, `until`
 * exclusive (on `at`); `before` pages: only events whose id sorts before it. Answers are newest
 * first, by id (a UUID v7, so by time), at most `limit` of them.
 */
export interface AuditQuery {
  readonly target?: UserId | undefined
  readonly types?: ReadonlyArray<AuditEventType> | undefined
  readonly since?: DateTime.Utc | undefined
  readonly until?: DateTime.Utc | undefined
  readonly before?: AuditEventId | undefined
  readonly limit: number
}

/**
 * Where security events are kept, append-only. A store's events are written in the same
 * transaction as the change they describe when the use case runs both inside
 * `Transactions.atomically`. An unreachable store is a `StoreUnavailable` defect. The contract
 * suite in `@userkit/domain/testing` is the full specification.
 */
export class AuditLog extends Context.Tag("userkit/AuditLog")<
  AuditLog,
  {
    readonly record: (event: AuditEvent) => Effect.Effect<void>
    /** The events `query` selects, newest first (by id), at most `query.limit`. */
    readonly list: (query: AuditQuery) => Effect.Effect<ReadonlyArray<AuditEvent>>
    /** Deletes the events recorded before `before`; answers how many. */
    readonly purge: (before: DateTime.Utc) => Effect.Effect<number>
  }
>() {}
