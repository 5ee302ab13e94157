import { Layer } from "effect"
import { Administration } from "./admin/Administration.js"
import { AuditTrail } from "./audit/AuditTrail.js"
import { Accounts } from "./auth/Accounts.js"
import { Background } from "./Background.js"
import { MailDelivery } from "./mail/MailDelivery.js"
import { AccountTokens } from "./recovery/AccountTokens.js"
import { EmailVerification } from "./recovery/EmailVerification.js"
import { PasswordRecovery } from "./recovery/PasswordRecovery.js"
import { Sessions } from "./sessions/Sessions.js"
import { AccountEvents } from "./users/AccountEvents.js"
import { Directory } from "./users/Directory.js"
import { OwnAccount } from "./users/OwnAccount.js"

/** What the use cases share: the audit trail, emailed tokens, mail sent in the background. */
const shared = Layer.mergeAll(AuditTrail.Default, AccountTokens.Default, MailDelivery.Default).pipe(
  Layer.provideMerge(Background.layer),
)

/** What follows a change to an account (events, voided links, mail), with what it needs. */
const accountSupport = AccountEvents.Default.pipe(
  Layer.provideMerge(EmailVerification.Default),
  Layer.provideMerge(shared),
)

/** Administration alone, for a tool that only administers (the CLI): no sessions to open, no tokens to issue. */
export const administration = Administration.Default.pipe(Layer.provideMerge(accountSupport))

/**
 * Every use case, given the ports (UserRepository, PasswordHasher, AccessTokens, SessionStore,
 * RefreshTokens, AuditLog, AccountTokenStore, Mailer, Transactions), the Limits and the
 * PasswordPolicy: provide it the adapters' layers and the whole domain runs. The one place the
 * use cases are composed. Work left in the background (mail) ends when the layer's scope closes.
 */
export const layer = Layer.mergeAll(
  Accounts.Default,
  OwnAccount.Default,
  Directory.Default,
  Administration.Default,
  PasswordRecovery.Default,
).pipe(Layer.provideMerge(Sessions.Default), Layer.provideMerge(accountSupport))
