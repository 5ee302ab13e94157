import { describe, expect, it } from "@effect/vitest"
import { Email, Mailer, type MailMessage, MailNotSent } from "@userkit/domain"
import { Effect, Fiber, Schema } from "effect"
import { MemoryMailer } from "../src/index.js"

const to = (address: string) => Schema.decodeSync(Email)(address)
const messageTo = (address: string, subject = "Reset your password"): MailMessage => ({
  to: to(address),
  subject,
  text: "https://example.test/reset?token=secret",
  html: '<a href="https://example.test/reset?token=secret">reset</a>',
})

describe("MemoryMailer", () => {
  it.effect("keeps every message sent, in order, and says it is configured", () =>
    Effect.gen(function* () {
      const { mailer, mailbox } = yield* MemoryMailer.make
      expect(mailer.configured).toBe(true)
      yield* mailer.send(messageTo("ada@example.com"))
      yield* mailer.send(messageTo("grace@example.com"))
      expect((yield* mailbox.messages).map((m) => m.to)).toEqual(["ada@example.com", "grace@example.com"])
    }),
  )

  it.effect("take answers the oldest matching message not taken yet, one at a time", () =>
    Effect.gen(function* () {
      const { mailer, mailbox } = yield* MemoryMailer.make
      yield* mailer.send(messageTo("ada@example.com", "first"))
      yield* mailer.send(messageTo("grace@example.com", "other"))
      yield* mailer.send(messageTo("ada@example.com", "second"))
      const toAda = (m: MailMessage) => m.to === "ada@example.com"
      expect((yield* mailbox.take(toAda)).subject).toBe("first")
      expect((yield* mailbox.take(toAda)).subject).toBe("second")
      expect((yield* mailbox.take()).subject).toBe("other")
      // Taking does not hide a message from the record of what was sent.
      expect(yield* mailbox.messages).toHaveLength(3)
    }),
  )

  it.effect("take waits for a matching message to be sent", () =>
    Effect.gen(function* () {
      const { mailer, mailbox } = yield* MemoryMailer.make
      const waiting = yield* Effect.fork(mailbox.take((m) => m.to === "ada@example.com"))
      yield* mailer.send(messageTo("grace@example.com"))
      yield* Effect.yieldNow()
      expect(yield* Fiber.poll(waiting)).toMatchObject({ _tag: "None" })
      yield* mailer.send(messageTo("ada@example.com"))
      expect((yield* Fiber.join(waiting)).to).toBe("ada@example.com")
    }),
  )

  it.effect("failNext makes that many sends fail, as permanent or not, and delivers none of them", () =>
    Effect.gen(function* () {
      const { mailer, mailbox } = yield* MemoryMailer.make
      yield* mailbox.failNext(2, true)
      const first = yield* Effect.flip(mailer.send(messageTo("ada@example.com")))
      expect(first).toBeInstanceOf(MailNotSent)
      expect(first.permanent).toBe(true)
      yield* Effect.flip(mailer.send(messageTo("ada@example.com")))
      yield* mailer.send(messageTo("grace@example.com"))
      expect((yield* mailbox.messages).map((m) => m.to)).toEqual(["grace@example.com"])

      yield* mailbox.failNext(Number.POSITIVE_INFINITY)
      const failures = yield* Effect.all(Array.from({ length: 5 }, () => Effect.flip(mailer.send(messageTo("a@b.c")))))
      expect(failures.every((f) => !f.permanent)).toBe(true)
      yield* mailbox.failNext(0)
      yield* mailer.send(messageTo("ada@example.com"))
      expect(yield* mailbox.messages).toHaveLength(2)
    }),
  )

  it.effect("layer provides the Mailer and its mailbox, fresh on each build", () =>
    Effect.gen(function* () {
      const sendOne = Effect.gen(function* () {
        yield* (yield* Mailer).send(messageTo("ada@example.com"))
        return yield* (yield* MemoryMailer.MemoryMailbox).messages
      })
      expect(yield* sendOne.pipe(Effect.provide(MemoryMailer.layer))).toHaveLength(1)
      expect(yield* sendOne.pipe(Effect.provide(MemoryMailer.layer))).toHaveLength(1)
    }),
  )
})
