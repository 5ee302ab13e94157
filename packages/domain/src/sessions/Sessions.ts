import { Context, DateTime, Duration, Effect, Option, type Redacted, Schema } from "effect"
import { auditEvent } from "../audit/AuditEvent.js"
import { AuditTrail } from "../audit/AuditTrail.js"
import { AccessTokens } from "../auth/AccessTokens.js"
import type { Client } from "../auth/Client.js"
import { InactiveUser, InvalidCredentials, InvalidToken } from "../auth/errors.js"
import type { PasswordHash } from "../auth/Password.js"
import type { RateLimited } from "../limits/errors.js"
import { Limits } from "../limits/Limits.js"
import { EmailNotVerified } from "../recovery/errors.js"
import { CurrentRecoveryRules } from "../recovery/RecoveryRules.js"
import { traced } from "../Traced.js"
import { Transactions } from "../Transactions.js"
import type { User } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import { InvalidRefreshToken, RefreshTokenReused, SessionNotFound } from "./errors.js"
import { type MintedToken, RefreshTokens } from "./RefreshTokens.js"
import { generateSessionId, Session, type SessionId } from "./Session.js"
import { SessionOwners } from "./SessionOwners.js"
import { SessionStore } from "./SessionStore.js"

const PositiveDuration = Schema.DurationFromSelf.pipe(Schema.greaterThanDuration(0))

/** How long sessions last, and how long a rotated refresh token may be presented again. */
export class SessionRules extends Schema.Class<SessionRules>("SessionRules")({
  /** A session unused this long ends; each refresh moves it. */
  idleTimeout: PositiveDuration,
  /** A session ends this long after its login, however used. */
  absoluteLifetime: PositiveDuration,
  /** A refresh token presented again within this window answers the same new pair (two tabs, a retry). */
  reuseWindow: Schema.DurationFromSelf,
}) {}

/** 7 days idle, 30 days in all, 10 seconds to replay a refresh. */
export const DEFAULT_SESSION_RULES = new SessionRules({
  idleTimeout: Duration.days(7),
  absoluteLifetime: Duration.days(30),
  reuseWindow: Duration.seconds(10),
})

/** The session rules in force: the defaults unless a layer provides others. */
export class CurrentSessionRules extends Context.Reference<CurrentSessionRules>()("userkit/SessionRules", {
  defaultValue: () => DEFAULT_SESSION_RULES,
}) {}

/** What a login or a refresh answers: the account, an access token, and the refresh token that renews it. */
export interface SignedIn {
  readonly user: User
  readonly sessionId: SessionId
  readonly accessToken: Redacted.Redacted<string>
  /** Seconds until the access token expires. */
  readonly expiresIn: number
  readonly refreshToken: Redacted.Redacted<string>
  /** Seconds until the session ends unless used (its idle or its absolute end, whichever is first). */
  readonly refreshExpiresIn: number
}

/** Who a verified access token speaks for: the account and the session it was issued in. */
export interface Caller {
  readonly user: User
  readonly sessionId: SessionId
}

/** A live session as its owner sees it: `current` marks the one the request came in. */
export interface SessionView {
  readonly session: Session
  readonly current: boolean
}

/** Which sessions a logout ends: the caller's own, every other one, or all. */
export type LogoutScope = "local" | "others" | "global"

const secondsUntil = (end: DateTime.Utc, now: DateTime.Utc) =>
  Math.max(0, Math.floor((DateTime.toEpochMillis(end) - DateTime.toEpochMillis(now)) / 1000))

/**
 * Sessions: opened by a login, renewed by rotating refresh tokens, ended by a logout, a
 * revocation, a change to the account, or time. Every access token names its session, and a
 * request is served only while that session is live, so ending a session ends its access tokens
 * at once (for this service: another that only verifies the JWT sees them until they expire).
 */
export class Sessions extends Effect.Service<Sessions>()("userkit/Sessions", {
  effect: Effect.gen(function* () {
    const store = yield* SessionStore
    const users = yield* UserRepository
    const tokens = yield* AccessTokens
    const refreshTokens = yield* RefreshTokens
    const limits = yield* Limits
    const audit = yield* AuditTrail
    const tx = yield* Transactions
    // One round trip per request where the store can join sessions to accounts; else two lookups.
    const owners = yield* Option.match(yield* Effect.serviceOption(SessionOwners), {
      onNone: () => SessionOwners.makeFromStores,
      onSome: Effect.succeed,
    })
    // Read once, where the layer is built: provide CurrentSessionRules to the layer to change them.
    const rules = yield* CurrentSessionRules
    const { requireVerifiedEmail } = yield* CurrentRecoveryRules

    /**
     * The pair for `session`, its access token issued at `issuedAt` (the same instant gives the same
     * token), its times counted from `now` (the instant the session was opened or rotated, or now).
     */
    const answer = (user: User, session: Session, refresh: MintedToken, issuedAt: DateTime.Utc, now: DateTime.Utc) =>
      Effect.gen(function* () {
        const issued = yield* tokens.issue({ userId: user.id, sessionId: session.id }, issuedAt)
        const ends = DateTime.min(session.idleExpiresAt, session.absoluteExpiresAt)
        return {
          user,
          sessionId: session.id,
          accessToken: issued.token,
          expiresIn: issued.expiresIn,
          refreshToken: refresh.token,
          refreshExpiresIn: secondsUntil(ends, now),
        } satisfies SignedIn
      })

    /**
     * A new session for `user`, who just proved who they are from `client` with the password
     * stored as `verified`, if the account is still as it was verified: opened by SessionOwners,
     * which decides against any change to the account (see `open` there). A password changed, or
     * an account deactivated or deleted, since the verification refuses the login (recorded).
     */
    const open = Effect.fnUntraced(function* (
      user: User,
      client: Client,
      verified: PasswordHash,
    ): Effect.fn.Return<SignedIn, InvalidCredentials | InactiveUser> {
      const now = yield* DateTime.now
      const session = new Session({
        id: yield* generateSessionId,
        userId: user.id,
        createdAt: now,
        lastUsedAt: now,
        idleExpiresAt: DateTime.addDuration(now, rules.idleTimeout),
        absoluteExpiresAt: DateTime.addDuration(now, rules.absoluteLifetime),
        userAgent: client.userAgent,
        address: client.address,
      })
      const refresh = yield* refreshTokens.mint
      const opened = yield* auditEvent("logged_in", { actor: user.id, target: user.id, client })
      const found = yield* owners.open(session, refresh.hash, verified, opened)
      if (found !== "opened") {
        yield* audit.record("login_failed", { target: user.id, client, detail: "account changed during login" })
        return yield* found === "inactive" ? new InactiveUser() : new InvalidCredentials()
      }
      return yield* answer(user, session, refresh, now, now)
    }, traced("Sessions.open"))

    /**
     * The session's account, if it may go on: active, and (REQUIRE_EMAIL_VERIFICATION) with a
     * verified address, so an account whose address changed cannot renew its way around the rule.
     */
    const activeOwner = (session: Session): Effect.Effect<User, InvalidRefreshToken | EmailNotVerified> =>
      Effect.flatMap(
        users.findById(session.userId),
        (found): Effect.Effect<User, InvalidRefreshToken | EmailNotVerified> => {
          if (Option.isNone(found) || !found.value.user.is_active) return Effect.fail(new InvalidRefreshToken())
          if (requireVerifiedEmail && !found.value.user.email_verified) return Effect.fail(new EmailNotVerified())
          return Effect.succeed(found.value.user)
        },
      )

    /**
     * A new pair for a refresh token, which is retired. Presented again within the reuse window, it
     * answers the same pair (the store recorded one successor, derived from the token, and the
     * access token is issued at the same instant); after the window, the session is ended.
     */
    const refresh = Effect.fnUntraced(function* (
      presented: Redacted.Redacted<string>,
      client: Client,
    ): Effect.fn.Return<SignedIn, InvalidRefreshToken | RefreshTokenReused | EmailNotVerified | RateLimited> {
      yield* limits.fromAddress("refresh", client)
      const hash = yield* refreshTokens.hashOf(presented)
      if (hash === undefined) return yield* new InvalidRefreshToken()
      const successor = yield* refreshTokens.successorOf(presented)
      const rotation = yield* tx.atomically(
        Effect.tap(
          store.rotate(hash, successor.hash, { graceWindow: rules.reuseWindow, idleTimeout: rules.idleTimeout }),
          (rotation) =>
            rotation._tag === "Reused"
              ? audit.record("refresh_reuse_detected", {
                  target: rotation.session.userId,
                  client,
                  detail: "session revoked",
                })
              : Effect.void,
        ),
      )
      switch (rotation._tag) {
        case "Rotated":
          return yield* answer(
            yield* activeOwner(rotation.session),
            rotation.session,
            successor,
            rotation.session.lastUsedAt,
            rotation.session.lastUsedAt,
          )
        case "Replayed":
          // Another successor than the one derived here would be a store that lost track: refuse.
          if (rotation.successor !== successor.hash) return yield* new InvalidRefreshToken()
          return yield* answer(
            yield* activeOwner(rotation.session),
            rotation.session,
            successor,
            rotation.retiredAt,
            yield* DateTime.now,
          )
        case "Reused":
          return yield* new RefreshTokenReused()
        case "Unknown":
          return yield* new InvalidRefreshToken()
      }
    }, traced("Sessions.refresh"))

    /** Who a bearer token speaks for: its session must be live and its account active. */
    const authenticate = Effect.fnUntraced(function* (
      token: Redacted.Redacted<string>,
    ): Effect.fn.Return<Caller, InvalidToken | InactiveUser> {
      const grant = yield* tokens.verify(token)
      const owner = yield* owners.findLive(grant.sessionId, grant.userId)
      if (Option.isNone(owner)) return yield* new InvalidToken()
      if (!owner.value.is_active) return yield* new InactiveUser()
      return { user: owner.value, sessionId: grant.sessionId }
    }, traced("Sessions.authenticate"))

    return {
      open,
      refresh,
      authenticate,
      /** The caller's live sessions, most recently used first; `current` marks the caller's own. */
      list: (caller: Caller) =>
        Effect.map(store.listLive(caller.user.id), (sessions) =>
          sessions.map((session): SessionView => ({ session, current: session.id === caller.sessionId })),
        ),
      /** Ends one of the caller's sessions; another user's id is not found, like an unknown one. */
      revoke: (caller: Caller, id: SessionId, client?: Client) =>
        tx.atomically(
          Effect.flatMap(store.revoke(caller.user.id, id), (revoked) =>
            revoked
              ? audit.record("session_revoked", { actor: caller.user.id, target: caller.user.id, client })
              : new SessionNotFound(),
          ),
        ),
      /** Ends the caller's session, every other one, or all of them. */
      logout: Effect.fnUntraced(function* (caller: Caller, scope: LogoutScope, client?: Client) {
        yield* tx.atomically(
          Effect.gen(function* () {
            if (scope === "local") yield* store.revoke(caller.user.id, caller.sessionId)
            else yield* store.revokeAll(caller.user.id, scope === "others" ? { except: caller.sessionId } : {})
            yield* audit.record("logged_out", { actor: caller.user.id, target: caller.user.id, client, detail: scope })
          }),
        )
      }, traced("Sessions.logout")),
    } as const
  }),
}) {}
