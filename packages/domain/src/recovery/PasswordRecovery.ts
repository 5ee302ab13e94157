import { DateTime, Effect, Option, type Redacted } from "effect"
import { AuditTrail } from "../audit/AuditTrail.js"
import type { Client } from "../auth/Client.js"
import { PasswordHasher } from "../auth/PasswordHasher.js"
import { PasswordPolicy, type PasswordRejected } from "../auth/PasswordPolicy.js"
import { Background } from "../Background.js"
import type { RateLimited } from "../limits/errors.js"
import { Limits } from "../limits/Limits.js"
import { MailDelivery } from "../mail/MailDelivery.js"
import type { MailUnavailable } from "../mail/Mailer.js"
import { SessionStore } from "../sessions/SessionStore.js"
import { traced } from "../Traced.js"
import { Transactions } from "../Transactions.js"
import { type Email, normalizeLogin } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import { AccountTokens } from "./AccountTokens.js"
import { type TokenExpired, TokenInvalid, type TokenUsed } from "./errors.js"
import { linkTo, passwordResetMessage } from "./Messages.js"
import { CurrentRecoveryRules } from "./RecoveryRules.js"

/** A forgotten password: a single-use link mailed to the account's address, and the reset it allows. */
export class PasswordRecovery extends Effect.Service<PasswordRecovery>()("userkit/PasswordRecovery", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const tokens = yield* AccountTokens
    const hasher = yield* PasswordHasher
    const policy = yield* PasswordPolicy
    const sessions = yield* SessionStore
    const mail = yield* MailDelivery
    const audit = yield* AuditTrail
    const tx = yield* Transactions
    const limits = yield* Limits
    const background = yield* Background
    const rules = yield* CurrentRecoveryRules

    /** Looks the address up and, for an active account, records a new link and mails it. */
    const mailLink = (email: Email, client: Client) =>
      Effect.gen(function* () {
        const found = yield* users.findByLogin(normalizeLogin(email))
        if (Option.isNone(found) || !found.value.user.is_active) return
        const user = found.value.user
        const token = yield* tx.atomically(
          Effect.tap(tokens.issue(user, "password_reset", rules.resetTokenLifetime), () =>
            audit.record("password_reset_requested", { target: user.id, client }),
          ),
        )
        yield* mail.dispatch(
          passwordResetMessage(user, linkTo(rules.publicUrl, "reset-password", token), rules.resetTokenLifetime),
        )
      })

    return {
      /**
       * Mails a reset link if `email` is an active account's. The answer is the same, and takes the
       * same time, whether it is or not: past the limits (which count the address as typed, known
       * or not), the lookup and everything after it run in the background.
       */
      forgot: Effect.fnUntraced(function* (
        email: Email,
        client: Client,
      ): Effect.fn.Return<void, RateLimited | MailUnavailable> {
        yield* limits.fromAddress("passwordForgot", client)
        yield* limits.forAccount("passwordForgot", normalizeLogin(email), client)
        yield* mail.requireConfigured
        yield* background.run("a password reset request", mailLink(email, client))
      }, traced("PasswordRecovery.forgot")),
      /**
       * Sets a new password with a mailed token: the token is spent, every session of the account
       * ends, and (the link having reached it) the address it was mailed to is verified, all in one
       * transaction. A token for an account deactivated since, or mailed to an address the account
       * has left since, is not valid.
       */
      reset: Effect.fnUntraced(function* (
        presented: Redacted.Redacted<string>,
        newPassword: Redacted.Redacted<string>,
        client: Client,
      ): Effect.fn.Return<void, TokenInvalid | TokenUsed | TokenExpired | PasswordRejected | RateLimited> {
        yield* limits.fromAddress("passwordReset", client)
        const token = yield* tokens.find(presented, "password_reset")
        const found = yield* users.findById(token.userId)
        if (Option.isNone(found) || !found.value.user.is_active) return yield* new TokenInvalid()
        const user = found.value.user
        yield* limits.forAccount("passwordReset", user.id, client)
        // Checked and hashed before the token is spent: a refused password leaves the link working.
        yield* policy.check(newPassword, user, "new_password")
        const hash = yield* hasher.hash(newPassword)
        yield* tx.atomically(
          Effect.gen(function* () {
            const redeemed = yield* tokens.redeem(presented, "password_reset")
            // The account left the address the link was mailed to (a change racing the request):
            // whoever reads that mailbox now may not reset the password.
            if (!(yield* users.markEmailVerified(user.id, redeemed.email, yield* DateTime.now)))
              return yield* new TokenInvalid()
            yield* users.setPasswordHash(user.id, hash).pipe(Effect.catchTag("UserNotFound", () => new TokenInvalid()))
            yield* sessions.revokeAll(user.id)
            yield* audit.record("password_reset_completed", { actor: user.id, target: user.id, client })
          }),
        )
      }, traced("PasswordRecovery.reset")),
    } as const
  }),
}) {}
