import { DateTime, Effect, Schema } from "effect"
import type { Client } from "../auth/Client.js"
import { uuidV7 } from "../Uuid.js"
import { UserId } from "../users/User.js"

/** What happened, from a closed list: a new kind of event is a change to this list. */
export const AuditEventType = Schema.Literal(
  "registered",
  "logged_in",
  "login_failed",
  "logged_out",
  "session_revoked",
  "refresh_reuse_detected",
  "password_changed",
  "password_reset_requested",
  "password_reset_completed",
  "email_verification_requested",
  "email_verified",
  "email_changed",
  "account_deactivated",
  "account_activated",
  "promoted",
  "demoted",
  "deleted",
  "throttled",
)
export type AuditEventType = typeof AuditEventType.Type

/** An event's id: a UUID v7, so events sort by when they were recorded. */
export const AuditEventId = Schema.UUID.pipe(Schema.brand("AuditEventId"))
export type AuditEventId = typeof AuditEventId.Type

export const generateAuditEventId: Effect.Effect<AuditEventId> = Effect.map(uuidV7, (id) => AuditEventId.make(id))

/**
 * One security event: when, what, who did it (`actor`, none for a stranger), to which account
 * (`target`, none when the request named no account), and from where. `detail` is for operators
 * only (why a login failed, which limit refused): a short word from the code, never a password,
 * a token, a hash or anything the client typed. Kept by id: an event outlives its account's row.
 */
export class AuditEvent extends Schema.Class<AuditEvent>("AuditEvent")({
  id: AuditEventId,
  at: Schema.DateTimeUtc,
  type: AuditEventType,
  actor: Schema.NullOr(UserId),
  target: Schema.NullOr(UserId),
  address: Schema.NullOr(Schema.String),
  userAgent: Schema.NullOr(Schema.String),
  detail: Schema.NullOr(Schema.String),
}) {}

/** Who did it to whom, from where, and (for operators) why: every field but the type is optional. */
export interface AuditFacts {
  readonly actor?: UserId | null | undefined
  readonly target?: UserId | null | undefined
  readonly client?: Client | undefined
  readonly detail?: string | undefined
}

/** A User-Agent is the client's to write: only its first 512 characters are kept. */
const USER_AGENT_KEPT = 512

/** The event of `type` about `facts`, now (id and time from the Clock). */
export const auditEvent = (type: AuditEventType, facts: AuditFacts): Effect.Effect<AuditEvent> =>
  Effect.gen(function* () {
    return new AuditEvent({
      id: yield* generateAuditEventId,
      at: yield* DateTime.now,
      type,
      actor: facts.actor ?? null,
      target: facts.target ?? null,
      address: facts.client?.address ?? null,
      // By code points: a cut through a surrogate pair would leave half a character.
      userAgent:
        facts.client?.userAgent == null ? null : Array.from(facts.client.userAgent).slice(0, USER_AGENT_KEPT).join(""),
      detail: facts.detail ?? null,
    })
  })
