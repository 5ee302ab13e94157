import { Context, DateTime, Effect, Layer, Option } from "effect"
import { AuditEvent, generateAuditEventId } from "../audit/AuditEvent.js"
import { AuditLog } from "../audit/AuditLog.js"
import type { PasswordHash } from "../auth/Password.js"
import { Transactions } from "../Transactions.js"
import type { User, UserId } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import type { RefreshTokenHash, Session, SessionId } from "./Session.js"
import { SessionStore } from "./SessionStore.js"

/**
 * What `open` found: the session opened; or not, because the account no longer stores the
 * password the login verified (changed, or the account deleted); or because it was deactivated.
 */
export type Opening = "opened" | "changed" | "inactive"

/**
 * What touches a session and its account together: every authenticated request (is this session
 * live, and whose is it?) and every login (open a session only for the account as it was verified).
 * A store that holds sessions and accounts side by side answers each in one round trip (PostgreSQL:
 * a join; one statement). It is optional: without it, `Sessions` uses the SessionStore, the
 * UserRepository and the AuditLog one after another (`fromStores`).
 */
export class SessionOwners extends Context.Tag("userkit/SessionOwners")<
  SessionOwners,
  {
    /** The account `userId`, if `sessionId` is a live session of it (active or not: the caller decides). */
    readonly findLive: (sessionId: SessionId, userId: UserId) => Effect.Effect<Option.Option<User>>
    /**
     * Opens `session` with its first refresh token, and records `opened` with it, if the session's
     * account still stores `verified` as its password and is active. No session opened with an old
     * password may outlive the change: an account change that lands first is seen (nothing is
     * opened), and one that lands after finds the session live and ends it, as every change that
     * ends sessions writes the account first and ends its sessions after.
     */
    readonly open: (
      session: Session,
      firstToken: RefreshTokenHash,
      verified: PasswordHash,
      opened: AuditEvent,
    ) => Effect.Effect<Opening>
  }
>() {
  /**
   * From the stores, one after another: the session is opened (with its event, in one
   * transaction), then the account read; if it changed, the session is ended again (recorded as
   * `session_revoked`). A change either lands before the read, which sees it, or ends the session.
   */
  static readonly makeFromStores: Effect.Effect<
    Context.Tag.Service<SessionOwners>,
    never,
    SessionStore | UserRepository | AuditLog | Transactions
  > = Effect.gen(function* () {
    const store = yield* SessionStore
    const users = yield* UserRepository
    const log = yield* AuditLog
    const tx = yield* Transactions
    return {
      findLive: (sessionId, userId) =>
        Effect.flatMap(store.findLive(sessionId), (session) =>
          Option.isSome(session) && session.value.userId === userId
            ? Effect.map(
                users.findById(userId),
                Option.map((stored) => stored.user),
              )
            : Effect.succeedNone,
        ),
      open: (session, firstToken, verified, opened) =>
        Effect.gen(function* () {
          // Committed before the read below, which must see every change that committed before it.
          yield* tx.atomically(Effect.zipRight(store.open(session, firstToken), log.record(opened)))
          const current = yield* users.findById(session.userId)
          const found: Opening = Option.match(current, {
            onNone: () => "changed",
            onSome: ({ user, passwordHash }) =>
              passwordHash !== verified ? "changed" : user.is_active ? "opened" : "inactive",
          })
          if (found === "opened") return found
          // About the same login as `opened`, now.
          const revoked = new AuditEvent({
            ...opened,
            id: yield* generateAuditEventId,
            at: yield* DateTime.now,
            type: "session_revoked",
            detail: "account changed during login",
          })
          yield* tx.atomically(Effect.zipRight(store.revoke(session.userId, session.id), log.record(revoked)))
          return found
        }),
    }
  })

  static readonly fromStores: Layer.Layer<
    SessionOwners,
    never,
    SessionStore | UserRepository | AuditLog | Transactions
  > = Layer.effect(this, this.makeFromStores)
}
