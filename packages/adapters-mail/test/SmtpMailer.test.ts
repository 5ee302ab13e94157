import { describe, expect, it } from "@effect/vitest"
import { Email, Mailer, type MailMessage, type MailNotSent } from "@userkit/domain"
import { Cause, Context, type Duration, Effect, Exit, Layer, Redacted, Schema } from "effect"
import { SmtpMailer } from "../src/index.js"
import { closedPort, reply, silentServer, smtpServer } from "./support/TestSmtpServer.js"

const MAIL_FROM = "userkit <no-reply@userkit.test>"
const LINK = "https://userkit.test/reset?token=tok_9f8e7d6c5b4a"
const PASSWORD = "p@ss:w0rd/secret"

const message: MailMessage = {
  to: Schema.decodeSync(Email)("ada@example.com"),
  subject: "Reset your password",
  text: `Follow ${LINK} within the hour.`,
  html: `<p>Follow <a href="${LINK}">this link</a> within the hour.</p>`,
}

const mailerAt = (url: string, timeout: Duration.DurationInput = "2 seconds") =>
  Effect.map(Layer.build(SmtpMailer.layer({ url: Redacted.make(url), from: MAIL_FROM, timeout })), Context.get(Mailer))

/** How a send failed, and how long it took. */
const failureOf = (url: string, timeout?: Duration.DurationInput) =>
  Effect.gen(function* () {
    const mailer = yield* mailerAt(url, timeout)
    const started = Date.now()
    // Bounded here, so a send that hangs fails its test in seconds, not at vitest's 30 s.
    const error: MailNotSent = yield* Effect.flip(mailer.send(message)).pipe(Effect.timeout("5 seconds"))
    return { error, millis: Date.now() - started }
  })

describe("SmtpMailer", () => {
  it.scopedLive("delivers the message to the recipient, from MAIL_FROM, with its text and HTML parts", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer()
      const mailer = yield* mailerAt(server.url())
      expect(mailer.configured).toBe(true)
      yield* mailer.send(message)
      const [received, ...more] = server.received()
      expect(more).toEqual([])
      expect(received?.rcptTo).toEqual(["ada@example.com"])
      expect(received?.mail.from?.value).toEqual([{ name: "userkit", address: "no-reply@userkit.test" }])
      expect(received?.mail.to).toMatchObject({ value: [{ name: "", address: "ada@example.com" }] })
      expect(received?.mail.subject).toBe(message.subject)
      expect(received?.mail.text?.trim()).toBe(message.text)
      expect(received?.mail.html).toBe(message.html)
    }),
  )

  it.scopedLive("logs in with the user and password of the URL", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({ authOptional: false })
      const mailer = yield* mailerAt(server.url({ user: "mailer@userkit.test", password: PASSWORD }))
      yield* mailer.send(message)
      expect(server.logins()).toEqual([{ user: "mailer@userkit.test", password: PASSWORD }])
      expect(server.received()).toHaveLength(1)
    }),
  )

  it.scopedLive("a refused login is permanent, and its reason does not hold the password", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({
        authOptional: false,
        onAuth: (auth, _session, callback) => callback(reply(535, `bad password ${auth.password}`)),
      })
      const { error } = yield* failureOf(server.url({ user: "mailer", password: PASSWORD }))
      expect(error).toMatchObject({ permanent: true, reason: "the SMTP server answered 535 to AUTH PLAIN" })
      expect(server.received()).toEqual([])
    }),
  )

  it.scopedLive("a recipient refused with 550 is a permanent failure", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({
        onRcptTo: (address, _session, callback) => callback(reply(550, `no mailbox ${address.address}`)),
      })
      const { error } = yield* failureOf(server.url())
      expect(error).toMatchObject({ permanent: true, reason: "the SMTP server answered 550 to RCPT TO" })
    }),
  )

  it.scopedLive("a recipient deferred with 451 is a failure that may pass", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({
        onRcptTo: (_address, _session, callback) => callback(reply(451, "greylisted, try again later")),
      })
      const { error } = yield* failureOf(server.url())
      expect(error).toMatchObject({ permanent: false, reason: "the SMTP server answered 451 to RCPT TO" })
    }),
  )

  it.scopedLive("a server that quotes the message in its refusal: the reason holds no body, link or password", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({
        authOptional: false,
        onData: (stream, _session, callback) => {
          const chunks: Array<Buffer> = []
          stream.on("data", (chunk: Buffer) => chunks.push(chunk))
          stream.on("end", () => callback(reply(554, `rejected content: ${Buffer.concat(chunks).toString()}`)))
        },
      })
      const { error } = yield* failureOf(server.url({ user: "mailer", password: PASSWORD }))
      expect(error.permanent).toBe(true)
      for (const secret of [LINK, "tok_9f8e7d6c5b4a", "within the hour", PASSWORD, encodeURIComponent(PASSWORD)]) {
        expect(error.reason).not.toContain(secret)
        expect(error.message).not.toContain(secret)
      }
    }),
  )

  it.scopedLive("nothing listening: fails at once with a failure that may pass", () =>
    Effect.gen(function* () {
      const port = yield* closedPort
      const { error, millis } = yield* failureOf(`smtp://127.0.0.1:${port}`)
      expect(error.permanent).toBe(false)
      expect(error.reason).toMatch(/^the SMTP server could not be reached \(E[A-Z]+\)$/)
      expect(millis).toBeLessThan(1000)
    }),
  )

  it.scopedLive("a server that accepts the connection and never greets: fails within the timeout", () =>
    Effect.gen(function* () {
      const { url } = yield* silentServer
      const { error, millis } = yield* failureOf(url, "500 millis")
      expect(error).toMatchObject({ permanent: false, reason: "the SMTP server did not answer within 500 ms" })
      expect(millis).toBeGreaterThanOrEqual(400)
      expect(millis).toBeLessThan(2000)
    }),
  )

  it.scopedLive("a server that stops answering in the middle: fails within the timeout", () =>
    Effect.gen(function* () {
      // Takes the recipient and never answers it.
      const server = yield* smtpServer({ onRcptTo: () => {} })
      const { error, millis } = yield* failureOf(server.url(), "500 millis")
      expect(error).toMatchObject({ permanent: false, reason: "the SMTP server did not answer within 500 ms" })
      expect(millis).toBeLessThan(2000)
    }),
  )

  it.scopedLive("a URL that is not smtp:// or smtps:// is a defect that does not quote it", () =>
    Effect.gen(function* () {
      const exit = yield* Effect.exit(mailerAt(`http://mailer:${PASSWORD}@127.0.0.1:25`))
      expect(Exit.isFailure(exit)).toBe(true)
      const shown = Exit.isFailure(exit) ? Cause.pretty(exit.cause) : ""
      expect(shown).toContain("the SMTP URL is not valid")
      expect(shown).not.toContain("secret")
    }),
  )
})

describe("SmtpMailer over TLS", () => {
  // smtp-server's built-in certificate is self-signed: trusting it is the URL's own option.
  const trustSelfSigned = "?tls.rejectUnauthorized=false"

  it.scopedLive("smtp:// upgrades with STARTTLS when the server offers it", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({ disabledCommands: [] })
      const mailer = yield* mailerAt(`${server.url()}${trustSelfSigned}`)
      yield* mailer.send(message)
      expect(server.received().map((r) => r.secure)).toEqual([true])
    }),
  )

  it.scopedLive("checks the server's certificate: an untrusted one fails the send", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({ disabledCommands: [] })
      const { error } = yield* failureOf(server.url())
      expect(error.permanent).toBe(false)
      expect(server.received()).toEqual([])
    }),
  )

  it.scopedLive("smtps:// speaks TLS from the first byte", () =>
    Effect.gen(function* () {
      const server = yield* smtpServer({ secure: true })
      const mailer = yield* mailerAt(`${server.url(undefined, "smtps")}${trustSelfSigned}`)
      yield* mailer.send(message)
      expect(server.received().map((r) => r.secure)).toEqual([true])
    }),
  )
})
