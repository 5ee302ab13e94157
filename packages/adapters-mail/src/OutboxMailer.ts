import { randomBytes } from "node:crypto"
import { mkdir, rename, rm, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { Mailer, type MailMessage, MailNotSent } from "@userkit/domain"
import { Clock, Effect, Layer, Predicate } from "effect"
import MailComposer from "nodemailer/lib/mail-composer/index.js"

const DEFAULT_FROM = "userkit <no-reply@localhost>"

export interface Options {
  /** Where the messages go, one `.eml` file each; created (owner only) when missing. */
  readonly dir: string
  /** The From of every message; `userkit <no-reply@localhost>` when absent. */
  readonly from?: string | undefined
}

/** `20261127T130501.123Z-1a2b3c4d.eml`: sorted by name is sorted by time. */
const fileName = (millis: number): string =>
  `${new Date(millis).toISOString().replace(/[-:]/g, "")}-${randomBytes(4).toString("hex")}.eml`

const failure = (what: string) => (error: unknown) => {
  const code = Predicate.hasProperty(error, "code") && typeof error.code === "string" ? error.code : "unknown error"
  return new MailNotSent({ reason: `could not ${what} (${code})`, permanent: false })
}

const compose = (message: MailMessage, from: string, millis: number) =>
  Effect.tryPromise({
    try: () =>
      new MailComposer({
        from,
        to: message.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        date: new Date(millis),
        disableFileAccess: true,
        disableUrlAccess: true,
      })
        .compile()
        .build(),
    catch: failure("compose the message"),
  })

// Written under a temporary name then renamed, so a reader of the outbox never sees half a message.
const writeAtomically = (path: string, contents: Buffer) => {
  const temporary = `${path}.partial`
  return Effect.tryPromise({
    try: () => writeFile(temporary, contents, { mode: 0o600, flag: "wx" }).then(() => rename(temporary, path)),
    catch: failure("write to the outbox"),
  }).pipe(Effect.tapError(() => Effect.promise(() => rm(temporary, { force: true }).catch(() => undefined))))
}

/**
 * A Mailer for development: each message becomes an `.eml` file (RFC 5322, text and HTML
 * alternatives) in `dir`, and a log line names its recipient, subject and file, never its body:
 * the body holds single-use links.
 */
export const make = (options: Options): typeof Mailer.Service => {
  const from = options.from ?? DEFAULT_FROM
  return Mailer.of({
    configured: true,
    send: (message) =>
      Effect.gen(function* () {
        const millis = yield* Clock.currentTimeMillis
        const contents = yield* compose(message, from, millis)
        yield* Effect.tryPromise({
          try: () => mkdir(options.dir, { recursive: true, mode: 0o700 }),
          catch: failure("create the outbox"),
        })
        const file = join(options.dir, fileName(millis))
        yield* writeAtomically(file, contents)
        yield* Effect.logInfo("mail written to the outbox").pipe(
          Effect.annotateLogs({ to: message.to, subject: message.subject, file }),
        )
      }),
  })
}

/** The domain's Mailer writing to the outbox `dir` (the app passes `DATA_DIR/outbox`). */
export const layer = (options: Options): Layer.Layer<Mailer> => Layer.succeed(Mailer, make(options))
