import { Context, Data, type DateTime, type Duration, type Effect, type Option } from "effect"
import type { UserId } from "../users/User.js"
import type { RefreshTokenHash, Session, SessionId } from "./Session.js"

/** What a refresh needs the store to know: how long a retired token may be replayed, how long a session may idle. */
export interface RotationRules {
  readonly graceWindow: Duration.Duration
  readonly idleTimeout: Duration.Duration
}

/** What a presented refresh token turned out to be; the store decides it atomically. */
export type Rotation = Data.TaggedEnum<{
  /** It was its session's current token: retired now, the successor current, the session's idle expiry moved. */
  Rotated: { readonly session: Session }
  /**
   * It was retired less than the grace window ago (two tabs, a retried request): nothing changed.
   * `successor` is the one recorded when it was retired, at `retiredAt`; the caller checks it is
   * the one it derived, and answers what it answered then.
   */
  Replayed: { readonly session: Session; readonly successor: RefreshTokenHash; readonly retiredAt: DateTime.Utc }
  /** It was retired longer ago than the grace window: taken as stolen, its session is revoked now. */
  Reused: { readonly session: Session }
  /** No such token, or its session is revoked or has expired. */
  Unknown: Record<never, never>
}>
export const Rotation = Data.taggedEnum<Rotation>()

/**
 * Where sessions and their refresh tokens live; tokens only as hashes. A session is live while it
 * is not revoked and the time is before both its idle and its absolute expiry. Time is the
 * caller's Clock (instances sharing a store keep their clocks in sync). Every write that reads
 * then decides is one atomic step in the store: a token gets exactly one successor, and no
 * rotation racing a revocation leaves a live session behind. An unreachable store is a
 * `StoreUnavailable` defect. The contract suite in `@userkit/domain/testing` is the full
 * specification.
 */
export class SessionStore extends Context.Tag("userkit/SessionStore")<
  SessionStore,
  {
    /** Stores a new session (a login) with its first refresh token, current. */
    readonly open: (session: Session, firstToken: RefreshTokenHash) => Effect.Effect<void>
    /**
     * Decides what `presented` is (see `Rotation`) and, in the same atomic step, rotates it to
     * `successor` or revokes its session. A token gets one successor, ever, whatever races it.
     */
    readonly rotate: (
      presented: RefreshTokenHash,
      successor: RefreshTokenHash,
      rules: RotationRules,
    ) => Effect.Effect<Rotation>
    /** The session if it is live now. */
    readonly findLive: (id: SessionId) => Effect.Effect<Option.Option<Session>>
    /** The user's live sessions, most recently used first (ties: by id). */
    readonly listLive: (userId: UserId) => Effect.Effect<ReadonlyArray<Session>>
    /** Revokes one live session of this user; false when it is not one (another user's id included). */
    readonly revoke: (userId: UserId, id: SessionId) => Effect.Effect<boolean>
    /** Revokes every live session of the user, but `except`; answers how many it revoked. */
    readonly revokeAll: (userId: UserId, options?: { readonly except?: SessionId | undefined }) => Effect.Effect<number>
    /**
     * Deletes the sessions (and their tokens) that ended, by revocation or expiry, at least
     * `olderThan` ago (zero when absent); answers how many. Safe to run while sessions are used.
     */
    readonly purge: (olderThan?: Duration.DurationInput) => Effect.Effect<number>
  }
>() {}
