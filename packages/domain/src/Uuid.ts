import { Clock, Effect } from "effect"

const hex = (bytes: Uint8Array): string => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")

/**
 * A fresh UUID v7 in its canonical lower-case text: 48 bits of Clock time (so tests control it),
 * 74 bits from the platform's CSPRNG. Ids made this way sort by creation time, as text and as uuid.
 */
export const uuidV7: Effect.Effect<string> = Effect.map(Clock.currentTimeMillis, (millis) => {
  const bytes = new Uint8Array(16)
  crypto.getRandomValues(bytes)
  let time = millis
  for (let i = 5; i >= 0; i--) {
    bytes[i] = time % 256
    time = Math.floor(time / 256)
  }
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x70
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80
  const h = hex(bytes)
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`
})
