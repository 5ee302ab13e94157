import { mkdtemp, readdir, readFile, rm, stat, writeFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { Email, Mailer, type MailMessage } from "@userkit/domain"
import { Context, Effect, HashMap, Layer, Logger, Schema, TestClock } from "effect"
import { simpleParser } from "mailparser"
import { OutboxMailer } from "../src/index.js"

const LINK = "https://userkit.test/verify?token=tok_0a1b2c3d"

const messageTo = (address: string, subject = "Confirm your email"): MailMessage => ({
  to: Schema.decodeSync(Email)(address),
  subject,
  text: `Confirm with ${LINK}`,
  html: `<p>Confirm with <a href="${LINK}">this link</a></p>`,
})

/** A fresh directory, removed with the scope. */
const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "userkit-outbox-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true })),
)

const outboxIn = (dir: string) =>
  Effect.map(Layer.build(OutboxMailer.layer({ dir, from: "userkit <no-reply@userkit.test>" })), Context.get(Mailer))

const filesIn = (dir: string) => Effect.promise(() => readdir(dir))
const parsed = (path: string) => Effect.promise(async () => simpleParser(await readFile(path)))

describe("OutboxMailer", () => {
  it.scoped(
    "writes each message as an .eml file with its text and HTML parts, in a directory only its owner reads",
    () =>
      Effect.gen(function* () {
        const outbox = join(yield* tempDir, "data", "outbox")
        const mailer = yield* outboxIn(outbox)
        expect(mailer.configured).toBe(true)
        yield* mailer.send(messageTo("ada@example.com"))
        const files = yield* filesIn(outbox)
        expect(files).toHaveLength(1)
        expect(files[0]).toMatch(/^\d{8}T\d{6}\.\d{3}Z-[0-9a-f]{8}\.eml$/)
        const mail = yield* parsed(join(outbox, files[0] ?? ""))
        expect(mail.from?.value).toEqual([{ name: "userkit", address: "no-reply@userkit.test" }])
        expect(mail.to).toMatchObject({ value: [{ address: "ada@example.com" }] })
        expect(mail.subject).toBe("Confirm your email")
        expect(mail.text?.trim()).toBe(`Confirm with ${LINK}`)
        expect(mail.html).toBe(`<p>Confirm with <a href="${LINK}">this link</a></p>`)
        const mode = (yield* Effect.promise(() => stat(outbox))).mode & 0o777
        expect(mode).toBe(0o700)
      }),
  )

  it.scoped("names files so that their order is the order they were sent in", () =>
    Effect.gen(function* () {
      const outbox = yield* tempDir
      const mailer = yield* outboxIn(outbox)
      for (const subject of ["first", "second", "third"]) {
        yield* mailer.send(messageTo("ada@example.com", subject))
        yield* TestClock.adjust("1 millis")
      }
      const files = [...(yield* filesIn(outbox))].sort()
      const subjects = yield* Effect.forEach(files, (file) =>
        Effect.map(parsed(join(outbox, file)), (mail) => mail.subject),
      )
      expect(subjects).toEqual(["first", "second", "third"])
    }),
  )

  it.scoped("logs the recipient, subject and file, and nothing of the body", () =>
    Effect.gen(function* () {
      const outbox = yield* tempDir
      const lines: Array<{ message: unknown; annotations: Record<string, unknown> }> = []
      const capture = Logger.make(({ message, annotations }) => {
        lines.push({ message, annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
      })
      const mailer = yield* outboxIn(outbox)
      yield* mailer
        .send(messageTo("ada@example.com"))
        .pipe(Effect.provide(Logger.replace(Logger.defaultLogger, capture)))
      const [file] = yield* filesIn(outbox)
      expect(lines).toEqual([
        {
          message: ["mail written to the outbox"],
          annotations: { to: "ada@example.com", subject: "Confirm your email", file: join(outbox, file ?? "") },
        },
      ])
      expect(JSON.stringify(lines)).not.toContain("tok_0a1b2c3d")
    }),
  )

  it.scoped("a directory that cannot be created: MailNotSent that may pass, and no file anywhere", () =>
    Effect.gen(function* () {
      const parent = yield* tempDir
      // A file where a directory should be: mkdir fails (ENOTDIR) even for root.
      yield* Effect.promise(() => writeFile(join(parent, "taken"), ""))
      const mailer = yield* outboxIn(join(parent, "taken", "outbox"))
      const error = yield* Effect.flip(mailer.send(messageTo("ada@example.com")))
      expect(error).toMatchObject({
        _tag: "MailNotSent",
        permanent: false,
        reason: "could not create the outbox (ENOTDIR)",
      })
      expect(yield* filesIn(parent)).toEqual(["taken"])
    }),
  )
})
