import { Effect, Schema } from "effect"
import { UserId } from "../users/User.js"

/** A session's id: a random UUID (v4), named in access tokens (`sid`) and in the sessions API. */
export const SessionId = Schema.UUID.pipe(Schema.brand("SessionId"))
export type SessionId = typeof SessionId.Type

/** A fresh session id: 122 bits from the platform's CSPRNG, so one user cannot guess another's. */
export const generateSessionId: Effect.Effect<SessionId> = Effect.sync(() => SessionId.make(crypto.randomUUID()))

/**
 * The SHA-256 digest of a refresh token, encoded as the caller likes. Stores keep only these: a
 * copy of the store hands out no token that still works.
 */
export const RefreshTokenHash = Schema.NonEmptyString.pipe(Schema.brand("RefreshTokenHash"))
export type RefreshTokenHash = typeof RefreshTokenHash.Type

/**
 * One login, from the device that made it: the family of refresh tokens rotated from its first
 * one. It ends when revoked, when idle past `idleExpiresAt` (each rotation moves it), or at
 * `absoluteExpiresAt` (fixed at login), whichever comes first.
 */
export class Session extends Schema.Class<Session>("Session")({
  id: SessionId,
  userId: UserId,
  createdAt: Schema.DateTimeUtc,
  lastUsedAt: Schema.DateTimeUtc,
  idleExpiresAt: Schema.DateTimeUtc,
  absoluteExpiresAt: Schema.DateTimeUtc,
  userAgent: Schema.NullOr(Schema.String),
  /** The client's IP address as the edge saw it. */
  address: Schema.String,
}) {}
