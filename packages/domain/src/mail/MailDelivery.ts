import { Duration, Effect, Schedule } from "effect"
import { Background } from "../Background.js"
import { Mailer, type MailMessage, type MailNotSent, MailUnavailable } from "./Mailer.js"

/** A send that may pass is tried again after 2, 4, 8, 16 and 32 seconds: about a minute in all. */
const retryPolicy = Schedule.exponential(Duration.seconds(2)).pipe(Schedule.intersect(Schedule.recurs(5)))

/**
 * Sends mail without making anyone wait for it: `dispatch` returns at once, the message goes out
 * in the background, tried again with backoff while the failure may pass, and a message that
 * could not be sent is logged (recipient and subject, never the body: it holds a single-use link).
 */
export class MailDelivery extends Effect.Service<MailDelivery>()("userkit/MailDelivery", {
  effect: Effect.gen(function* () {
    const mailer = yield* Mailer
    const background = yield* Background

    const send = (message: MailMessage) =>
      mailer.send(message).pipe(
        Effect.retry({ schedule: retryPolicy, while: (failure: MailNotSent) => !failure.permanent }),
        Effect.tapError((failure) =>
          Effect.logError(`mail to ${message.to} ("${message.subject}") not sent: ${failure.reason}`),
        ),
        Effect.withSpan("MailDelivery.send"),
      )

    return {
      /** Fails when this deployment cannot send mail at all: check before promising a link. */
      requireConfigured: mailer.configured ? Effect.void : Effect.fail(new MailUnavailable()),
      configured: mailer.configured,
      /** Sends each message in the background; the caller's answer does not depend on them. */
      dispatch: (...messages: ReadonlyArray<MailMessage>) =>
        Effect.forEach(messages, (message) => background.run("sending mail", send(message)), { discard: true }),
    } as const
  }),
}) {}
