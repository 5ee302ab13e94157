import { type AuditEvent, AuditEventId, AuditEventType, type AuditPage, UserId } from "@userkit/domain"
import { Schema } from "effect"

const MAX_EVENTS_PAGE = 100
const DEFAULT_EVENTS_PAGE = 50

const limit = Schema.NumberFromString.pipe(
  Schema.filter(
    (n) =>
      (Number.isInteger(n) && n >= 1 && n <= MAX_EVENTS_PAGE) ||
      `limit must be a whole number from 1 to ${MAX_EVENTS_PAGE}`,
  ),
)

// A cursor is the id of the last event of the page before: a UUID, which tells nothing its reader
// cannot already see (every event in the page carries its id).
const cursor = AuditEventId.annotations({
  message: () => "cursor must be the next_cursor of a previous page",
})

const paging = { cursor: Schema.optional(cursor), limit: Schema.optional(limit) }

const strict = { parseOptions: { errors: "all", onExcessProperty: "error" } } as const

/** A user's own events: a page at a time. */
export const OwnEventsQuery = Schema.Struct(paging).annotations(strict)

const instant = Schema.DateTimeUtc.annotations({
  message: () => "must be an ISO 8601 date-time, such as 2026-11-27T13:00:00Z",
})

/** Comma-separated event types, each from the closed list. */
const types = Schema.compose(Schema.split(","), Schema.Array(AuditEventType)).annotations({
  message: () => `type must be one or more (comma-separated) of ${AuditEventType.literals.join(", ")}`,
})

/** The audit trail's filters: an account, types, a time range (since inclusive, until exclusive). */
export const AuditQuery = Schema.Struct({
  ...paging,
  user_id: Schema.optional(UserId.annotations({ message: () => "user_id must be a user's id (a UUID)" })),
  type: Schema.optional(types),
  since: Schema.optional(instant),
  until: Schema.optional(instant),
}).annotations(strict)

const eventFields = {
  id: AuditEventId,
  at: Schema.DateTimeUtc,
  type: AuditEventType,
  actor_id: Schema.NullOr(UserId).annotations({
    description: "Who did it; null for a stranger (a failed login), and in your own events for a superuser",
  }),
  user_id: Schema.NullOr(UserId).annotations({ description: "The account it was done to; null when none was named" }),
  address: Schema.NullOr(Schema.String),
  user_agent: Schema.NullOr(Schema.String),
}

/** An event as its account's owner sees it: no operator's detail. */
export const OwnEvent = Schema.Struct(eventFields).annotations({ identifier: "SecurityEvent" })
/** An event as a superuser sees it: with the detail (why a login failed, which limit refused). */
export const AuditEventView = Schema.Struct({ ...eventFields, detail: Schema.NullOr(Schema.String) }).annotations({
  identifier: "AuditEvent",
})

const page = <A, I>(item: Schema.Schema<A, I>, identifier: string) =>
  Schema.Struct({ items: Schema.Array(item), next_cursor: Schema.NullOr(Schema.String) }).annotations({ identifier })

export const OwnEventsPage = page(OwnEvent, "SecurityEventPage")
export const AuditPageView = page(AuditEventView, "AuditPage")

/** The event as the audit trail holds it, in the API's names. */
const view = (event: AuditEvent): typeof OwnEvent.Type => ({
  id: event.id,
  at: event.at,
  type: event.type,
  actor_id: event.actor,
  user_id: event.target,
  address: event.address,
  user_agent: event.userAgent,
})

/**
 * The event as its account's owner sees it: what another user (a superuser) did to the account
 * shows without who, from where, or with what (no administrator's id, address or browser).
 */
const ownView = (event: AuditEvent): typeof OwnEvent.Type =>
  event.actor !== null && event.actor !== event.target
    ? { ...view(event), actor_id: null, address: null, user_agent: null }
    : view(event)

export const ownEvents = (found: AuditPage): typeof OwnEventsPage.Type => ({
  items: found.events.map(ownView),
  next_cursor: found.next ?? null,
})

export const auditPage = (found: AuditPage): typeof AuditPageView.Type => ({
  items: found.events.map((event) => ({ ...view(event), detail: event.detail })),
  next_cursor: found.next ?? null,
})

/** The query's paging as the domain's. */
export const pagingOf = (query: {
  readonly cursor?: AuditEventId | undefined
  readonly limit?: number | undefined
}) => ({
  before: query.cursor,
  limit: query.limit ?? DEFAULT_EVENTS_PAGE,
})
