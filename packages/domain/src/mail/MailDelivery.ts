import { Duration, Effect, Ref, Schedule } from "effect"
import { Background } from "../Background.js"
import { traced } from "../Traced.js"
import { Mailer, type MailMessage, type MailNotSent, MailUnavailable } from "./Mailer.js"

/** A send that may pass is tried again after 2, 4, 8, 16 and 32 seconds: about a minute in all. */
const retryPolicy = Schedule.exponential(Duration.seconds(2)).pipe(Schedule.intersect(Schedule.recurs(5)))

/** Messages handed to the mailer at once; the others wait their turn. */
export const MAIL_SENDERS = 8
/** Messages waiting or being sent; past this, a new one is dropped (and logged), not queued. */
export const MAIL_BACKLOG = 1000

/**
 * Sends mail without making anyone wait for it: `dispatch` returns at once, the message goes out
 * in the background, tried again with backoff while the failure may pass, and a message that
 * could not be sent is logged (recipient and subject, never the body: it holds a single-use link).
 * Bounded: at most MAIL_SENDERS at once and MAIL_BACKLOG in hand, so a flood of requests (or a
 * stalled mail server) cannot pile up connections or fibers without end.
 */
export class MailDelivery extends Effect.Service<MailDelivery>()("userkit/MailDelivery", {
  effect: Effect.gen(function* () {
    const mailer = yield* Mailer
    const background = yield* Background
    const senders = yield* Effect.makeSemaphore(MAIL_SENDERS)
    const inHand = yield* Ref.make(0)

    const send = (message: MailMessage) =>
      senders
        .withPermits(1)(mailer.send(message))
        .pipe(
          // Each failed attempt is told at once: an operator sees a stalled relay within seconds.
          Effect.tapError((failure) =>
            failure.permanent
              ? Effect.void
              : Effect.logWarning(`mail to ${message.to} ("${message.subject}") not sent yet: ${failure.reason}`),
          ),
          Effect.retry({ schedule: retryPolicy, while: (failure: MailNotSent) => !failure.permanent }),
          // Said once, here: the failure stops with this line (Background would log it again).
          Effect.catchAll((failure) =>
            Effect.logError(`mail to ${message.to} ("${message.subject}") not sent: ${failure.reason}`),
          ),
          traced("MailDelivery.send"),
        )

    /** Takes the message in hand if the backlog has room, and sends it in the background. */
    const enqueue = (message: MailMessage) =>
      Effect.flatMap(
        Ref.modify(inHand, (n) => (n < MAIL_BACKLOG ? [true, n + 1] : [false, n])),
        (taken) =>
          taken
            ? background.run(
                "sending mail",
                Effect.ensuring(
                  send(message),
                  Ref.update(inHand, (n) => n - 1),
                ),
              )
            : Effect.logError(`mail to ${message.to} ("${message.subject}") dropped: ${MAIL_BACKLOG} messages in hand`),
      )

    return {
      /** Fails when this deployment cannot send mail at all: check before promising a link. */
      requireConfigured: mailer.configured ? Effect.void : Effect.fail(new MailUnavailable()),
      configured: mailer.configured,
      /**
       * Sends each message in the background; the caller's answer does not depend on them. Where
       * no mailer is configured, nothing is sent (the deployment chose so), and nothing is logged.
       */
      dispatch: (...messages: ReadonlyArray<MailMessage>) =>
        mailer.configured ? Effect.forEach(messages, enqueue, { discard: true }) : Effect.void,
    } as const
  }),
}) {}
