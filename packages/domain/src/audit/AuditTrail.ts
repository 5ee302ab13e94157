import { Effect } from "effect"
import { type AuditEvent, type AuditEventId, type AuditEventType, type AuditFacts, auditEvent } from "./AuditEvent.js"
import { AuditLog, type AuditQuery } from "./AuditLog.js"

/** A page of events, newest first; `next` reads the page after it (absent on the last). */
export interface AuditPage {
  readonly events: ReadonlyArray<AuditEvent>
  readonly next: AuditEventId | undefined
}

/** Builds events (id and time from the Clock) and reads them a page at a time. */
export class AuditTrail extends Effect.Service<AuditTrail>()("userkit/AuditTrail", {
  effect: Effect.gen(function* () {
    const log = yield* AuditLog

    const record = (type: AuditEventType, facts: AuditFacts) => Effect.flatMap(auditEvent(type, facts), log.record)

    /** One page of the events `query` selects, one more read to know whether another follows. */
    const page = (query: AuditQuery): Effect.Effect<AuditPage> =>
      Effect.map(log.list({ ...query, limit: query.limit + 1 }), (found) => {
        const events = found.slice(0, query.limit)
        return { events, next: found.length > query.limit ? events[events.length - 1]?.id : undefined }
      })

    return {
      /** Records one event now; run it in the same `Transactions.atomically` as the change it describes. */
      record,
      page,
    } as const
  }),
}) {}
