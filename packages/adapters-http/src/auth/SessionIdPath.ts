import { SessionId, SessionNotFound } from "@userkit/domain"
import { IdPath, idOf } from "../edge/IdPath.js"

/** The `{id}` of a `/sessions/{id}` path; a malformed one is a 404 like an unknown one. */
export const SessionIdPath = IdPath("The session's id (a UUID)")

/** The path's id as a SessionId, or the SessionNotFound an unknown id gets too. */
export const sessionIdOf = idOf(SessionId, () => new SessionNotFound())
