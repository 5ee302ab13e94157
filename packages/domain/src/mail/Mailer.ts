import { Context, Effect, Layer, Schema } from "effect"
import type { Email } from "../users/User.js"

/**
 * One message to one recipient, as plain text and HTML. Its body may carry a single-use link:
 * nothing but the mailer's transport ever sees it (never a log line).
 */
export interface MailMessage {
  readonly to: Email
  readonly subject: string
  readonly text: string
  readonly html: string
}

/**
 * A message was not handed over. `permanent` when trying again cannot help (the server refused
 * the recipient or the sender); else the failure may pass (a refused or stalled connection).
 * `reason` names the failure, never the message's body.
 */
export class MailNotSent extends Schema.TaggedError<MailNotSent>()("MailNotSent", {
  reason: Schema.String,
  permanent: Schema.Boolean,
}) {
  override get message() {
    return `mail not sent: ${this.reason}`
  }
}

/**
 * Hands messages to whatever delivers them: an SMTP server, a development outbox, memory.
 * `send` succeeds once the message is accepted for delivery. A mailer that is not `configured`
 * (production without SMTP_URL) sends nothing; the use cases that must send refuse up front.
 */
export class Mailer extends Context.Tag("userkit/Mailer")<
  Mailer,
  {
    readonly configured: boolean
    readonly send: (message: MailMessage) => Effect.Effect<void, MailNotSent>
  }
>() {
  /** No way to send mail: the recovery use cases answer `MailUnavailable`. */
  static readonly unconfigured: Layer.Layer<Mailer> = Layer.succeed(this, {
    configured: false,
    send: () => Effect.fail(new MailNotSent({ reason: "no mailer is configured", permanent: true })),
  })
}

/** This deployment cannot send mail (production with no SMTP_URL), so nothing that must mail can be done. */
export class MailUnavailable extends Schema.TaggedError<MailUnavailable>()("MailUnavailable", {}) {
  override get message() {
    return "email is not configured on this service, so no link can be sent; ask its operator to set SMTP_URL"
  }
}
