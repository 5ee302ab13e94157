import { Effect, Option, Schema } from "effect"

/**
 * The `{id}` of a path such as `/users/{id}`, read as any string: an id that is not a UUID names
 * nothing, so `idOf` answers it like an unknown id (404), not as invalid input (422), and a caller
 * cannot tell malformed from missing.
 */
export const IdPath = (description: string) =>
  Schema.Struct({ id: Schema.String.annotations({ description, jsonSchema: { format: "uuid" } }) })

/** A path's id as the domain's id, or the not-found error an unknown id gets too. */
export const idOf = <A, E>(schema: Schema.Schema<A, string>, notFound: () => E) => {
  const decode = Schema.decodeOption(schema)
  return (id: string): Effect.Effect<A, E> =>
    Option.match(decode(id), { onNone: () => Effect.fail(notFound()), onSome: Effect.succeed })
}
