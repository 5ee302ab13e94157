import { Clock, Effect } from "effect"

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

// RFC 9562 §6.2, method 1: within one millisecond, the 12 bits after the version count up from a
// random start, so ids made in this process sort in the order they were made.
let lastMillis = -1
let sequence = 0

/**
 * A fresh UUID v7 in its canonical lower-case text: 48 bits of Clock time (so tests control it),
 * a 12-bit sequence, 62 bits from the platform's CSPRNG. Ids made this way sort by creation time,
 * as text and as uuid, and in this process by the order they were made (a millisecond that runs
 * out of sequence borrows the next one).
 */
export const uuidV7: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (now) => {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  // A later millisecond starts a new sequence; so does a clock far behind the last one (another
  // clock: a test's), where order with the ids before it means nothing.
  if (now > lastMillis || now < lastMillis - 10_000) {
    lastMillis = now
    sequence = (((bytes[6] ?? 0) << 8) | (bytes[7] ?? 0)) & 0x7ff
  } else if (++sequence > 0xfff) {
    lastMillis += 1
    sequence = 0
  }
  let time = lastMillis
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256
    time = Math.floor(time / 256)
  }
  bytes[6] = 0x70 | (sequence >> 8)
  bytes[7] = sequence & 0xff
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80
  const h = hex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
})
