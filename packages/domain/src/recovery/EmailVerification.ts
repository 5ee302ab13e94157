import { DateTime, Effect, type Redacted } from "effect"
import { AuditTrail } from "../audit/AuditTrail.js"
import type { Client } from "../auth/Client.js"
import type { RateLimited } from "../limits/errors.js"
import { Limits } from "../limits/Limits.js"
import { MailDelivery } from "../mail/MailDelivery.js"
import type { MailMessage, MailUnavailable } from "../mail/Mailer.js"
import { traced } from "../Traced.js"
import { Transactions } from "../Transactions.js"
import type { User, UserId } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import { AccountTokens } from "./AccountTokens.js"
import { EmailAlreadyVerified, type TokenExpired, TokenInvalid, type TokenUsed } from "./errors.js"
import { linkTo, verificationMessage } from "./Messages.js"
import { CurrentRecoveryRules } from "./RecoveryRules.js"

/**
 * Proving an address is the account's: a single-use link mailed to it (on registration, on a
 * change of address, on request), which marks it verified if the account still has that address.
 */
export class EmailVerification extends Effect.Service<EmailVerification>()("userkit/EmailVerification", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const tokens = yield* AccountTokens
    const mail = yield* MailDelivery
    const audit = yield* AuditTrail
    const tx = yield* Transactions
    const limits = yield* Limits
    const rules = yield* CurrentRecoveryRules

    /**
     * A new link for `user`'s current address (the earlier one stops working), recorded; the
     * message to send once the caller's transaction commits. None when this deployment cannot mail.
     */
    const linkFor = (user: User, client: Client | undefined, actor: UserId | null) =>
      Effect.gen(function* () {
        if (!mail.configured) return []
        const token = yield* tokens.issue(user, "email_verification", rules.verificationTokenLifetime)
        yield* audit.record("email_verification_requested", { actor, target: user.id, client })
        const link = linkTo(rules.publicUrl, "verify-email", token)
        return [verificationMessage(user, link, rules.verificationTokenLifetime)] satisfies ReadonlyArray<MailMessage>
      })

    return {
      linkFor,
      /** A new link for the caller's own address, mailed (the earlier one stops working). */
      request: Effect.fnUntraced(function* (
        actor: User,
        client: Client,
      ): Effect.fn.Return<void, EmailAlreadyVerified | MailUnavailable | RateLimited> {
        yield* limits.fromAddress("emailVerificationRequest", client)
        yield* limits.forAccount("emailVerificationRequest", actor.id, client)
        yield* mail.requireConfigured
        if (actor.email_verified) return yield* new EmailAlreadyVerified()
        yield* mail.dispatch(...(yield* tx.atomically(linkFor(actor, client, actor.id))))
      }, traced("EmailVerification.request")),
      /** Marks the address the link was mailed to verified, if it is still the account's. */
      verify: Effect.fnUntraced(function* (
        presented: Redacted.Redacted<string>,
        client: Client,
      ): Effect.fn.Return<void, TokenInvalid | TokenUsed | TokenExpired | RateLimited> {
        yield* limits.fromAddress("emailVerify", client)
        yield* tx.atomically(
          Effect.gen(function* () {
            const token = yield* tokens.redeem(presented, "email_verification")
            const now = yield* DateTime.now
            // The account left that address since the link was sent: the link verifies nothing.
            if (!(yield* users.markEmailVerified(token.userId, token.email, now))) return yield* new TokenInvalid()
            yield* audit.record("email_verified", { actor: token.userId, target: token.userId, client })
          }),
        )
      }, traced("EmailVerification.verify")),
    } as const
  }),
}) {}
