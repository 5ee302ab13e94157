import { AccessTokens, InvalidToken, type UserId } from "@userkit/domain"
import { Clock, Duration, Effect, Layer, Option, Redacted, Ref } from "effect"

interface Grant {
  readonly userId: UserId
  readonly expiresAtMillis: number
}

const randomToken = () => {
  const bytes = new Uint8Array(32)
  crypto.getRandomValues(bytes)
  return Buffer.from(bytes).toString("base64url")
}

/**
 * AccessTokens as opaque random strings remembered in a Ref, expiring by the Clock: what a
 * test needs from tokens, with nothing to configure. Each layer is its own issuer.
 */
export const make = (ttl: Duration.DurationInput = "30 minutes") =>
  Effect.gen(function* () {
    const grants = yield* Ref.make(new Map<string, Grant>())
    const ttlMillis = Duration.toMillis(ttl)
    return AccessTokens.of({
      issue: (userId) =>
        Effect.gen(function* () {
          const token = randomToken()
          const now = yield* Clock.currentTimeMillis
          yield* Ref.update(grants, (map) => new Map(map).set(token, { userId, expiresAtMillis: now + ttlMillis }))
          return { token: Redacted.make(token), expiresIn: Math.floor(ttlMillis / 1000) }
        }),
      verify: (token) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const grant = Option.fromNullable((yield* Ref.get(grants)).get(Redacted.value(token)))
          if (Option.isNone(grant) || grant.value.expiresAtMillis <= now) return yield* new InvalidToken()
          return grant.value.userId
        }),
    })
  })

/** The domain's AccessTokens in memory, a new issuer on each build. */
export const layer = (ttl?: Duration.DurationInput): Layer.Layer<AccessTokens> => Layer.effect(AccessTokens, make(ttl))
