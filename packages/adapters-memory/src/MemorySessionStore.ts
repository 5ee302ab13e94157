import {
  type RefreshTokenHash,
  Rotation,
  type RotationRules,
  Session,
  type SessionId,
  SessionStore,
} from "@userkit/domain"
import { Clock, DateTime, Duration, Effect, HashMap, Layer, Option, Ref } from "effect"

interface StoredSession {
  readonly session: Session
  readonly revokedAt: Option.Option<number>
}

interface StoredToken {
  readonly sessionId: SessionId
  /** When it was rotated, and to which token; none while it is its session's current token. */
  readonly retired: Option.Option<{ readonly at: number; readonly successor: RefreshTokenHash }>
}

interface State {
  readonly sessions: HashMap.HashMap<SessionId, StoredSession>
  readonly tokens: HashMap.HashMap<RefreshTokenHash, StoredToken>
}

const millis = DateTime.toEpochMillis

/** When the session ended or will end: revoked, idle or absolute expiry, whichever is first. */
const endOf = ({ session, revokedAt }: StoredSession): number =>
  Math.min(
    Option.getOrElse(revokedAt, () => Number.POSITIVE_INFINITY),
    millis(session.idleExpiresAt),
    millis(session.absoluteExpiresAt),
  )
const isLive = (stored: StoredSession, now: number) => now < endOf(stored)

const liveSessionOf = (state: State, token: StoredToken, now: number): Option.Option<StoredSession> =>
  Option.filter(HashMap.get(state.sessions, token.sessionId), (stored) => isLive(stored, now))

const revokedAt = (stored: StoredSession, now: number): StoredSession => ({ ...stored, revokedAt: Option.some(now) })

/** The decision on a presented token and the state after it: the whole of `rotate`, in one step. */
const rotateStep = (
  state: State,
  presented: RefreshTokenHash,
  successor: RefreshTokenHash,
  rules: RotationRules,
  now: number,
): readonly [Effect.Effect<Rotation>, State] => {
  const token = Option.getOrUndefined(HashMap.get(state.tokens, presented))
  const stored = token === undefined ? undefined : Option.getOrUndefined(liveSessionOf(state, token, now))
  if (token === undefined || stored === undefined) return [Effect.succeed(Rotation.Unknown()), state]
  const { session } = stored
  if (Option.isNone(token.retired)) {
    // Successors derive from unique tokens: one already stored is a caller's bug, refused as SQL would.
    if (HashMap.has(state.tokens, successor)) {
      return [Effect.dieMessage("rotating a refresh token: its successor is already stored"), state]
    }
    const used = new Session({
      ...session,
      lastUsedAt: DateTime.unsafeMake(now),
      idleExpiresAt: DateTime.unsafeMake(now + Duration.toMillis(rules.idleTimeout)),
    })
    const tokens = HashMap.set(state.tokens, presented, { ...token, retired: Option.some({ at: now, successor }) })
    return [
      Effect.succeed(Rotation.Rotated({ session: used })),
      {
        sessions: HashMap.set(state.sessions, session.id, { ...stored, session: used }),
        tokens: HashMap.set(tokens, successor, { sessionId: session.id, retired: Option.none() }),
      },
    ]
  }
  const retired = token.retired.value
  if (now - retired.at < Duration.toMillis(rules.graceWindow)) {
    return [
      Effect.succeed(
        Rotation.Replayed({ session, successor: retired.successor, retiredAt: DateTime.unsafeMake(retired.at) }),
      ),
      state,
    ]
  }
  return [
    Effect.succeed(Rotation.Reused({ session })),
    { ...state, sessions: HashMap.set(state.sessions, session.id, revokedAt(stored, now)) },
  ]
}

const byLastUseThenId = (a: Session, b: Session) =>
  millis(b.lastUsedAt) - millis(a.lastUsedAt) || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

/**
 * A SessionStore in one Ref: every decision (which case a presented token is, which sessions a
 * revocation or a purge takes) is one `Ref.modify`, so no other fiber runs between its read and
 * its write. Time is read from Clock just before.
 */
export const make = Effect.gen(function* () {
  const state = yield* Ref.make<State>({ sessions: HashMap.empty(), tokens: HashMap.empty() })
  const now = Clock.currentTimeMillis

  /** Revokes the live sessions `pick` chooses; answers how many. */
  const revokeWhere = (pick: (session: Session) => boolean) =>
    Effect.flatMap(now, (at) =>
      Ref.modify(state, (s): [number, State] => {
        const chosen = HashMap.filter(s.sessions, (stored) => isLive(stored, at) && pick(stored.session))
        const sessions = HashMap.reduce(chosen, s.sessions, (all, stored, id) =>
          HashMap.set(all, id, revokedAt(stored, at)),
        )
        return [HashMap.size(chosen), { ...s, sessions }]
      }),
    )

  return SessionStore.of({
    open: (session, firstToken) =>
      Effect.flatten(
        Ref.modify(state, (s): [Effect.Effect<void>, State] =>
          HashMap.has(s.sessions, session.id) || HashMap.has(s.tokens, firstToken)
            ? [Effect.dieMessage("opening a session: its id or its token is already stored"), s]
            : [
                Effect.void,
                {
                  sessions: HashMap.set(s.sessions, session.id, { session, revokedAt: Option.none() }),
                  tokens: HashMap.set(s.tokens, firstToken, { sessionId: session.id, retired: Option.none() }),
                },
              ],
        ),
      ),
    rotate: (presented, successor, rules) =>
      Effect.flatMap(now, (at) =>
        Effect.flatten(Ref.modify(state, (s) => rotateStep(s, presented, successor, rules, at))),
      ),
    findLive: (id) =>
      Effect.flatMap(now, (at) =>
        Effect.map(Ref.get(state), (s) =>
          Option.map(
            Option.filter(HashMap.get(s.sessions, id), (stored) => isLive(stored, at)),
            (stored) => stored.session,
          ),
        ),
      ),
    listLive: (userId) =>
      Effect.flatMap(now, (at) =>
        Effect.map(Ref.get(state), (s) =>
          Array.from(HashMap.values(s.sessions))
            .filter((stored) => stored.session.userId === userId && isLive(stored, at))
            .map((stored) => stored.session)
            .sort(byLastUseThenId),
        ),
      ),
    revoke: (userId, id) =>
      Effect.flatMap(now, (at) =>
        Ref.modify(state, (s): [boolean, State] =>
          Option.match(
            Option.filter(
              HashMap.get(s.sessions, id),
              (stored) => stored.session.userId === userId && isLive(stored, at),
            ),
            {
              onNone: () => [false, s],
              onSome: (stored) => [true, { ...s, sessions: HashMap.set(s.sessions, id, revokedAt(stored, at)) }],
            },
          ),
        ),
      ),
    revokeAll: (userId, options = {}) =>
      revokeWhere((session) => session.userId === userId && session.id !== options.except),
    purge: (olderThan = Duration.zero) =>
      Effect.flatMap(now, (at) =>
        Ref.modify(state, (s): [number, State] => {
          const cutoff = at - Duration.toMillis(olderThan)
          const kept = HashMap.filter(s.sessions, (stored) => endOf(stored) > cutoff)
          const tokens = HashMap.filter(s.tokens, (token) => HashMap.has(kept, token.sessionId))
          return [HashMap.size(s.sessions) - HashMap.size(kept), { sessions: kept, tokens }]
        }),
      ),
  })
})

/** The domain's SessionStore in memory, empty on each build. */
export const layer: Layer.Layer<SessionStore> = Layer.effect(SessionStore, make)
