import { SessionId, SessionNotFound } from "@userkit/domain"
import { Effect, Option, Schema } from "effect"

/**
 * The `{id}` of a `/sessions/{id}` path, read as any string: an id that is not a UUID names no
 * session, so it gets the 404 an unknown one gets.
 */
export const SessionIdPath = Schema.Struct({
  id: Schema.String.annotations({ description: "The session's id (a UUID)", jsonSchema: { format: "uuid" } }),
})

const decodeSessionId = Schema.decodeOption(SessionId)

/** The path's id as a SessionId, or the SessionNotFound an unknown id gets too. */
export const sessionIdOf = (id: string): Effect.Effect<SessionId, SessionNotFound> =>
  Option.match(decodeSessionId(id), { onNone: () => Effect.fail(new SessionNotFound()), onSome: Effect.succeed })
