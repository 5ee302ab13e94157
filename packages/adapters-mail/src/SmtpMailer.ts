import { Mailer, MailNotSent } from "@userkit/domain"
import { Duration, Effect, Layer, Predicate, Redacted, type Scope } from "effect"
import { createTransport } from "nodemailer"
import { parseConnectionUrl } from "nodemailer/lib/shared/index.js"

const DEFAULT_TIMEOUT = Duration.seconds(10)

export interface Options {
  /**
   * smtp://[user:password@]host[:port] (upgraded with STARTTLS when the server offers it) or
   * smtps://[user:password@]host[:port] (TLS from the first byte). Percent-encode `@` or `:` in the password.
   */
  readonly url: Redacted.Redacted<string>
  /** The From of every message, e.g. `userkit <no-reply@example.com>`. */
  readonly from: string
  /** How long connecting, the greeting and each answer may take before the send fails; 10 seconds when absent. */
  readonly timeout?: Duration.DurationInput | undefined
}

// Failures nodemailer reports without a server answer that trying again cannot fix.
const refusedBeforeSending: Record<string, string> = {
  EAUTH: "the SMTP login failed",
  EENVELOPE: "the sender or recipient address was refused",
  EMESSAGE: "the message was refused",
  EREQUIRETLS: "the SMTP server cannot guarantee TLS",
}

const stringField = (error: unknown, key: string, shape: RegExp): string | undefined => {
  if (!Predicate.hasProperty(error, key)) return undefined
  const value = error[key]
  return typeof value === "string" && shape.test(value) ? value : undefined
}

/**
 * A nodemailer failure as MailNotSent. The reason is built from fixed words, the error code, the SMTP
 * command and its response code: nodemailer's messages quote the server's answer, which may echo an
 * address or more, and never the message itself.
 */
const notSent = (error: unknown, timeoutMillis: number): MailNotSent => {
  const code = stringField(error, "code", /^E[A-Z]{1,20}$/)
  const command = stringField(error, "command", /^[A-Z][A-Z ]{0,19}$/) ?? "a command"
  const responseCode = Predicate.hasProperty(error, "responseCode") ? error.responseCode : undefined
  if (typeof responseCode === "number" && responseCode >= 400 && responseCode < 600) {
    // 4xx: try again later (greylisting, a full mailbox, a busy server); 5xx: it will not work.
    return new MailNotSent({
      reason: `the SMTP server answered ${responseCode} to ${command}`,
      permanent: responseCode >= 500,
    })
  }
  if (code === "ETIMEDOUT") {
    return new MailNotSent({ reason: `the SMTP server did not answer within ${timeoutMillis} ms`, permanent: false })
  }
  const refused = code === undefined ? undefined : refusedBeforeSending[code]
  if (refused !== undefined) return new MailNotSent({ reason: `${refused} (${code})`, permanent: true })
  return new MailNotSent({
    reason: `the SMTP server could not be reached (${code ?? "unknown error"})`,
    permanent: false,
  })
}

const invalidUrl = "the SMTP URL is not valid: expected smtp[s]://[user:password@]host[:port]"

// A bad URL is a configuration defect; the message never quotes it (it holds the password).
const checkedUrl = (url: Redacted.Redacted<string>) =>
  Effect.try({
    try: () => {
      const parsed = new URL(Redacted.value(url))
      if ((parsed.protocol !== "smtp:" && parsed.protocol !== "smtps:") || parsed.hostname === "") throw new Error()
      return Redacted.value(url)
    },
    catch: () => new Error(invalidUrl),
  }).pipe(Effect.orDie)

/**
 * A Mailer over SMTP; each message opens its own connection, so a server that dropped an idle
 * connection costs nothing. The transport is closed with the scope.
 */
export const make = (options: Options): Effect.Effect<typeof Mailer.Service, never, Scope.Scope> =>
  Effect.gen(function* () {
    const timeoutMillis = Duration.toMillis(options.timeout ?? DEFAULT_TIMEOUT)
    const url = yield* checkedUrl(options.url)
    const transport = yield* Effect.acquireRelease(
      Effect.sync(() =>
        // nodemailer drops every other option given beside a `url`, so the URL is parsed here (its
        // query may set options such as `tls.servername`) and ours are laid over it.
        createTransport({
          ...parseConnectionUrl(url),
          // Without these a server that accepts and then stays silent holds a send for minutes.
          connectionTimeout: timeoutMillis,
          greetingTimeout: timeoutMillis,
          socketTimeout: timeoutMillis,
          dnsTimeout: timeoutMillis,
          // Messages are plain strings: never let one make the transport read a file or fetch a URL.
          disableFileAccess: true,
          disableUrlAccess: true,
          // nodemailer's own logging can print the conversation, and with it the message.
          logger: false,
          debug: false,
        }),
      ),
      (transport) => Effect.sync(() => transport.close()),
    )
    return Mailer.of({
      configured: true,
      send: (message) =>
        Effect.tryPromise({
          try: () =>
            transport.sendMail({
              from: options.from,
              to: message.to,
              subject: message.subject,
              text: message.text,
              html: message.html,
            }),
          catch: (error) => notSent(error, timeoutMillis),
        }).pipe(Effect.asVoid),
    })
  })

/** The domain's Mailer over the SMTP server at `url`. */
export const layer = (options: Options): Layer.Layer<Mailer> => Layer.scoped(Mailer, make(options))
