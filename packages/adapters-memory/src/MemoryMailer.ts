import { Mailer, type MailMessage, MailNotSent } from "@userkit/domain"
import { Context, Effect, Layer, STM, TRef } from "effect"

interface Delivered {
  readonly message: MailMessage
  readonly taken: boolean
}

interface State {
  readonly delivered: ReadonlyArray<Delivered>
  /** How many of the next sends fail, and how. */
  readonly failing: { readonly remaining: number; readonly permanent: boolean }
}

/** What a test sees of the memory mailer: the messages sent, and a way to make sends fail. */
export class MemoryMailbox extends Context.Tag("userkit/MemoryMailbox")<
  MemoryMailbox,
  {
    /** Every message sent so far, oldest first, taken or not. */
    readonly messages: Effect.Effect<ReadonlyArray<MailMessage>>
    /**
     * The oldest message not taken yet that matches `predicate` (any message when absent), waiting
     * for one to be sent; it is then taken, so the next call answers the one after it.
     */
    readonly take: (predicate?: (message: MailMessage) => boolean) => Effect.Effect<MailMessage>
    /**
     * The next `count` sends fail with MailNotSent (`permanent` as given) and deliver nothing;
     * `Infinity` until told otherwise, 0 to stop failing.
     */
    readonly failNext: (count: number, permanent?: boolean) => Effect.Effect<void>
  }
>() {}

const anyMessage = () => true

/** A Mailer in memory and its mailbox, empty on each call. */
export const make: Effect.Effect<{
  readonly mailer: typeof Mailer.Service
  readonly mailbox: typeof MemoryMailbox.Service
}> = Effect.map(TRef.make<State>({ delivered: [], failing: { remaining: 0, permanent: false } }), (state) => {
  // One transaction per send: a send either fails (counting down) or delivers, never both.
  const sendStep = (message: MailMessage) =>
    TRef.modify(state, (s): [MailNotSent | undefined, State] =>
      s.failing.remaining > 0
        ? [
            new MailNotSent({ reason: "the memory mailer was told to fail", permanent: s.failing.permanent }),
            { ...s, failing: { ...s.failing, remaining: s.failing.remaining - 1 } },
          ]
        : [undefined, { ...s, delivered: [...s.delivered, { message, taken: false }] }],
    )

  const takeStep = (predicate: (message: MailMessage) => boolean) =>
    STM.flatMap(TRef.get(state), (s) => {
      const index = s.delivered.findIndex((d) => !d.taken && predicate(d.message))
      const found = s.delivered[index]
      // Retrying waits until the state changes, i.e. until another message is sent.
      if (found === undefined) return STM.retry
      const delivered = s.delivered.map((d, i) => (i === index ? { ...d, taken: true } : d))
      return STM.as(TRef.set(state, { ...s, delivered }), found.message)
    })

  return {
    mailer: Mailer.of({
      configured: true,
      send: (message) =>
        Effect.flatMap(STM.commit(sendStep(message)), (failure) =>
          failure === undefined ? Effect.void : Effect.fail(failure),
        ),
    }),
    mailbox: MemoryMailbox.of({
      messages: STM.commit(STM.map(TRef.get(state), (s) => s.delivered.map((d) => d.message))),
      take: (predicate = anyMessage) => STM.commit(takeStep(predicate)),
      failNext: (count, permanent = false) =>
        STM.commit(TRef.update(state, (s) => ({ ...s, failing: { remaining: Math.max(0, count), permanent } }))),
    }),
  }
})

/** The domain's Mailer in memory, with the MemoryMailbox that shows what it sent. */
export const layer: Layer.Layer<Mailer | MemoryMailbox> = Layer.effectContext(
  Effect.map(make, ({ mailer, mailbox }) => Context.make(Mailer, mailer).pipe(Context.add(MemoryMailbox, mailbox))),
)
