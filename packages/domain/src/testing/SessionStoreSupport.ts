import { it } from "@effect/vitest"
import { DateTime, Duration, Effect, type Layer, TestClock } from "effect"
import { generateSessionId, RefreshTokenHash, Session, type SessionId } from "../sessions/Session.js"
import { Rotation, type RotationRules, SessionStore } from "../sessions/SessionStore.js"
import type { UserId } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import { aStoredUser, type StoredUserOverrides } from "./fixtures.js"

/** When every test starts: a realistic date, so that the stores hold realistic timestamps. */
export const START = Date.parse("2026-01-05T09:00:00.000Z")
export const rules: RotationRules = { graceWindow: Duration.seconds(10), idleTimeout: Duration.days(7) }
const absoluteLifetime = Duration.days(30)

/** A refresh token's hash never stored before. */
export const aTokenHash = (): RefreshTokenHash => RefreshTokenHash.make(`sha256-${crypto.randomUUID()}`)

/** A user stored through the layer's UserRepository, as `overrides` say (see aStoredUser): a session belongs to one. */
export const aUserWith = (overrides: StoredUserOverrides): Effect.Effect<UserId, never, UserRepository> =>
  Effect.gen(function* () {
    const stored = aStoredUser(overrides)
    yield* Effect.orDie(Effect.flatMap(UserRepository, (repo) => repo.insert(stored)))
    return stored.user.id
  })

/** A user stored through the layer's UserRepository: a session belongs to one. */
export const aUser: Effect.Effect<UserId, never, UserRepository> = aUserWith({})

/** A new session of `userId` now (the Clock's time), with the default lifetimes, not stored. */
export const aSession = (userId: UserId, overrides: Partial<ConstructorParameters<typeof Session>[0]> = {}) =>
  Effect.gen(function* () {
    const now = yield* DateTime.now
    return new Session({
      id: yield* generateSessionId,
      userId,
      createdAt: now,
      lastUsedAt: now,
      idleExpiresAt: DateTime.addDuration(now, rules.idleTimeout),
      absoluteExpiresAt: DateTime.addDuration(now, absoluteLifetime),
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
      address: "203.0.113.7",
      ...overrides,
    })
  })

/** A login of `userId` now (the Clock's time), with the default lifetimes: the session and its first token. */
export const login = (userId: UserId, overrides: Partial<ConstructorParameters<typeof Session>[0]> = {}) =>
  Effect.gen(function* () {
    const session = yield* aSession(userId, overrides)
    const token = aTokenHash()
    yield* Effect.flatMap(SessionStore, (store) => store.open(session, token))
    return { session, token }
  })

export const rotate = (presented: RefreshTokenHash, successor: RefreshTokenHash) =>
  Effect.flatMap(SessionStore, (store) => store.rotate(presented, successor, rules))
export const findLive = (id: SessionId) => Effect.flatMap(SessionStore, (store) => store.findLive(id))
export const listLive = (userId: UserId) => Effect.flatMap(SessionStore, (store) => store.listLive(userId))
export const revoke = (userId: UserId, id: SessionId) =>
  Effect.flatMap(SessionStore, (store) => store.revoke(userId, id))
export const revokeAll = (userId: UserId, except?: SessionId) =>
  Effect.flatMap(SessionStore, (store) => store.revokeAll(userId, { except }))
export const purge = (olderThan?: Duration.DurationInput) =>
  Effect.flatMap(SessionStore, (store) => store.purge(olderThan))

/** `session` as a rotation now leaves it: used now, idle expiry moved, absolute expiry as it was. */
export const usedNow = (session: Session) =>
  Effect.map(
    DateTime.now,
    (now) => new Session({ ...session, lastUsedAt: now, idleExpiresAt: DateTime.addDuration(now, rules.idleTimeout) }),
  )
export const unknown = Rotation.Unknown()

/** A test run from START on the TestClock, against a layer built afresh for it. */
export const sessionStoreTest =
  (layer: Layer.Layer<SessionStore | UserRepository, unknown>) =>
  (title: string, body: Effect.Effect<void, never, SessionStore | UserRepository>) =>
    it.effect(title, () => Effect.provide(Effect.andThen(TestClock.setTime(START), body), layer), 60_000)

export type SessionStoreTest = ReturnType<typeof sessionStoreTest>
