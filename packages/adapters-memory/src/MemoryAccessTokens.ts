import { AccessTokens, InvalidToken, type TokenGrant } from "@userkit/domain"
import { Clock, DateTime, Duration, Effect, Layer, Option, Redacted, Ref } from "effect"

interface Grant {
  readonly grant: TokenGrant
  readonly expiresAtMillis: number
}

const randomBytes = (n: number) => crypto.getRandomValues(new Uint8Array(n))

/**
 * AccessTokens as opaque strings remembered in a Ref, expiring by the Clock: what a test needs
 * from tokens, with nothing to configure. A token is the SHA-256 of the grant, the instant it was
 * issued and a secret of the layer's own: the same grant at the same instant is the same token, as
 * the port asks, and each layer is its own issuer.
 */
export const make = (ttl: Duration.DurationInput = "30 minutes") =>
  Effect.gen(function* () {
    const grants = yield* Ref.make(new Map<string, Grant>())
    const ttlMillis = Duration.toMillis(ttl)
    const issuer = Buffer.from(randomBytes(32)).toString("base64url")
    const tokenFor = (grant: TokenGrant, issuedAtMillis: number) =>
      Effect.promise(() =>
        crypto.subtle.digest(
          "SHA-256",
          new TextEncoder().encode(`${issuer}.${grant.userId}.${grant.sessionId}.${issuedAtMillis}`),
        ),
      ).pipe(Effect.map((digest) => Buffer.from(digest).toString("base64url")))
    return AccessTokens.of({
      issue: (grant, issuedAt) =>
        Effect.gen(function* () {
          const issuedAtMillis = DateTime.toEpochMillis(issuedAt)
          const token = yield* tokenFor(grant, issuedAtMillis)
          const expiresAtMillis = issuedAtMillis + ttlMillis
          yield* Ref.update(grants, (map) => new Map(map).set(token, { grant, expiresAtMillis }))
          const now = yield* Clock.currentTimeMillis
          return { token: Redacted.make(token), expiresIn: Math.max(0, Math.floor((expiresAtMillis - now) / 1000)) }
        }),
      verify: (token) =>
        Effect.gen(function* () {
          const now = yield* Clock.currentTimeMillis
          const found = Option.fromNullable((yield* Ref.get(grants)).get(Redacted.value(token)))
          if (Option.isNone(found) || found.value.expiresAtMillis <= now) return yield* new InvalidToken()
          return found.value.grant
        }),
    })
  })

/** The domain's AccessTokens in memory, a new issuer on each build. */
export const layer = (ttl?: Duration.DurationInput): Layer.Layer<AccessTokens> => Layer.effect(AccessTokens, make(ttl))
