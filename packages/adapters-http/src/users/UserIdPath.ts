import { UserId, UserNotFound } from "@userkit/domain"
import { IdPath, idOf } from "../edge/IdPath.js"

/** The `{id}` of a `/users/{id}` path; a malformed one is a 404 like an unknown one. */
export const UserIdPath = IdPath("The user's id (a UUID)")

/** The path's id as a UserId, or the UserNotFound an unknown id gets too. */
export const userIdOf = idOf(UserId, () => new UserNotFound())
