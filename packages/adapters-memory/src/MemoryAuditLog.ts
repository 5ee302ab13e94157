import { AuditEvent, AuditLog, type AuditQuery } from "@userkit/domain"
import { DateTime, Effect, Layer, Ref } from "effect"

// As the SQL store keeps it: a user agent is a header anyone can make as long as they like.
const MAX_USER_AGENT = 512

/** The first 512 code points of a user agent (as PostgreSQL's char_length counts them). */
const capped = (userAgent: string | null): string | null => {
  if (userAgent === null || userAgent.length <= MAX_USER_AGENT) return userAgent
  const points = Array.from(userAgent)
  return points.length <= MAX_USER_AGENT ? userAgent : points.slice(0, MAX_USER_AGENT).join("")
}

/** An id as a uuid compares: its lower-case text. */
const key = (event: AuditEvent) => event.id.toLowerCase()

/** Where `event` goes in events kept newest first (by id, descending). */
const positionOf = (events: ReadonlyArray<AuditEvent>, id: string): number => {
  let [low, high] = [0, events.length]
  while (low < high) {
    const middle = (low + high) >>> 1
    const here = events[middle]
    if (here !== undefined && key(here) > id) low = middle + 1
    else high = middle
  }
  return low
}

const matches = (query: AuditQuery) => {
  const before = query.before?.toLowerCase()
  return (event: AuditEvent): boolean =>
    (query.target === undefined || event.target === query.target) &&
    (query.types === undefined || query.types.includes(event.type)) &&
    (query.since === undefined || DateTime.greaterThanOrEqualTo(event.at, query.since)) &&
    (query.until === undefined || DateTime.lessThan(event.at, query.until)) &&
    (before === undefined || key(event) < before)
}

/**
 * An AuditLog in one Ref holding the events newest first. A record is one `Ref.modify` (the id
 * checked and the event placed in one step, as the primary key would), a list one read, a purge
 * one `Ref.modify`.
 */
export const make = Effect.gen(function* () {
  const store = yield* Ref.make<ReadonlyArray<AuditEvent>>([])

  return AuditLog.of({
    record: (event) =>
      Effect.flatten(
        Ref.modify(store, (events): [Effect.Effect<void>, ReadonlyArray<AuditEvent>] => {
          const at = positionOf(events, key(event))
          const there = events[at]
          if (there !== undefined && key(there) === key(event)) {
            return [Effect.dieMessage("recording an audit event: its id is already recorded"), events]
          }
          const userAgent = capped(event.userAgent)
          const kept = userAgent === event.userAgent ? event : new AuditEvent({ ...event, userAgent }, true)
          return [Effect.void, [...events.slice(0, at), kept, ...events.slice(at)]]
        }),
      ),
    list: (query) =>
      Number.isInteger(query.limit) && query.limit >= 0
        ? Effect.map(Ref.get(store), (events) => {
            const selected: Array<AuditEvent> = []
            const wanted = matches(query)
            for (const event of events) {
              if (selected.length >= query.limit) break
              if (wanted(event)) selected.push(event)
            }
            return selected
          })
        : Effect.dieMessage("listing audit events: the limit is not a whole number of at least 0"),
    purge: (before) =>
      Ref.modify(store, (events): [number, ReadonlyArray<AuditEvent>] => {
        const kept = events.filter((event) => DateTime.greaterThanOrEqualTo(event.at, before))
        return [events.length - kept.length, kept]
      }),
  })
})

/** The domain's AuditLog in memory, empty on each build. */
export const layer: Layer.Layer<AuditLog> = Layer.effect(AuditLog, make)
