import { Effect } from "effect"
import { AuditTrail } from "../audit/AuditTrail.js"
import type { Client } from "../auth/Client.js"
import type { MailMessage } from "../mail/Mailer.js"
import { AccountTokens } from "../recovery/AccountTokens.js"
import { EmailVerification } from "../recovery/EmailVerification.js"
import { emailChangedMessage } from "../recovery/Messages.js"
import type { SessionId } from "../sessions/Session.js"
import { SessionStore } from "../sessions/SessionStore.js"
import { type Email, normalizeLogin, type User, type UserId } from "./User.js"

/**
 * What follows a change to an account, whoever made it, run inside the change's transaction: the
 * sessions and links it voids, the event that records it, and the mail it calls for (returned,
 * for the caller to send once the transaction has committed).
 */
export class AccountEvents extends Effect.Service<AccountEvents>()("userkit/AccountEvents", {
  effect: Effect.gen(function* () {
    const sessions = yield* SessionStore
    const tokens = yield* AccountTokens
    const audit = yield* AuditTrail
    const verification = yield* EmailVerification

    return {
      /** A new password: sessions (but `keep`) end, reset links are void. */
      passwordChanged: (
        target: UserId,
        actor: UserId,
        client: Client | undefined,
        keep: { readonly except?: SessionId | undefined } = {},
      ) =>
        Effect.all([
          sessions.revokeAll(target, keep),
          tokens.revokeAll(target, "password_reset"),
          audit.record("password_changed", { actor, target, client }),
        ]).pipe(Effect.asVoid),
      /** A deactivation: every session ends, reset links are void. */
      deactivated: (target: UserId) =>
        Effect.all([sessions.revokeAll(target), tokens.revokeAll(target, "password_reset")]).pipe(Effect.asVoid),
      /**
       * `user` as it is after a write that may have changed its address from `previous`. If it did
       * (not only its case): reset links sent to the old address are void, the old address is told,
       * and the new one is sent a link unless already verified (a superuser's word).
       */
      emailChanged: (previous: Email, user: User, actor: UserId, client: Client | undefined) =>
        Effect.gen(function* () {
          if (normalizeLogin(previous) === normalizeLogin(user.email)) return []
          yield* tokens.revokeAll(user.id, "password_reset")
          yield* audit.record("email_changed", { actor, target: user.id, client })
          const link = user.email_verified ? [] : yield* verification.linkFor(user, client, actor)
          return [emailChangedMessage(previous, user), ...link] satisfies ReadonlyArray<MailMessage>
        }),
    } as const
  }),
}) {}
