import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { Password } from "../src/index.js"

const decode = Schema.decodeUnknownEither(Password)
const accepted = (value: string) => Either.isRight(decode(value))
const refusal = (value: string) =>
  Either.match(decode(value), { onLeft: (error) => String(error), onRight: () => "accepted" })

// "e" followed by a combining acute accent: two code points that NFKC composes into one "é".
const decomposedE = "e\u0301"

describe("Password", () => {
  it("counts its 8-character minimum after NFKC normalization", () => {
    expect(accepted(decomposedE.repeat(4))).toBe(false)
    expect(accepted("\u00e9".repeat(4))).toBe(false)
    expect(accepted(decomposedE.repeat(8))).toBe(true)
    // A ligature is one code point typed, two after NFKC ("ﬁ" is "fi").
    expect(accepted("\ufb01".repeat(4))).toBe(true)
  })

  it("counts its 128-character maximum after NFKC normalization", () => {
    expect(accepted(decomposedE.repeat(128))).toBe(true)
    expect(accepted(decomposedE.repeat(129))).toBe(false)
    expect(accepted("\ufb01".repeat(64))).toBe(true)
    expect(accepted(`${"\ufb01".repeat(64)}x`)).toBe(false)
  })

  it("says what is wrong without echoing the password, in either form", () => {
    for (const [value, reason] of [
      [decomposedE.repeat(4), "password must be at least 8 characters"],
      [decomposedE.repeat(129), "password must be at most 128 characters"],
    ] as const) {
      const message = refusal(value)
      expect(message).toContain(reason)
      expect(message).not.toContain(value)
      expect(message).not.toContain(value.normalize("NFKC"))
      expect(message).not.toContain("\u00e9")
      expect(message).not.toContain("\u0301")
    }
  })
})
