import { UserId, UserNotFound } from "@userkit/domain"
import { Effect, Option, Schema } from "effect"

/**
 * The `{id}` of a `/users/{id}` path, read as any string: an id that is not a UUID names no user,
 * so `userIdOf` answers it like an unknown id (404), not as invalid input (422), and a caller
 * cannot tell malformed from missing.
 */
export const UserIdPath = Schema.Struct({
  id: Schema.String.annotations({ description: "The user's id (a UUID)", jsonSchema: { format: "uuid" } }),
})

const decodeUserId = Schema.decodeOption(UserId)

/** The path's id as a UserId, or the UserNotFound an unknown id gets too. */
export const userIdOf = (id: string): Effect.Effect<UserId, UserNotFound> =>
  Option.match(decodeUserId(id), { onNone: () => Effect.fail(new UserNotFound()), onSome: Effect.succeed })
