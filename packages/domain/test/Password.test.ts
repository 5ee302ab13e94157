import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import { Password } from "../src/index.js"

const decode = Schema.decodeUnknownEither(Password)
const accepted = (value: string) => Either.isRight(decode(value))
const refusal = (value: string) =>
  Either.match(decode(value), { onLeft: (error) => String(error), onRight: () => "accepted" })

// The configured length, counted after NFKC, is the PasswordPolicy's (see PasswordPolicy.test.ts).
describe("Password", () => {
  it("leaves the configured length to the policy: any password of 1 to 1024 characters decodes", () => {
    for (const value of ["x", "abc", "hunter2", "x".repeat(1024)]) expect(accepted(value)).toBe(true)
  })

  it("refuses an empty password", () => {
    expect(refusal("")).toContain("password must not be empty")
  })

  it("refuses more than 1024 characters as typed, counting characters rather than UTF-16 units", () => {
    expect(refusal("x".repeat(1025))).toContain("password must be at most 1024 characters")
    expect(accepted("😀".repeat(1024))).toBe(true)
    expect(accepted("😀".repeat(1025))).toBe(false)
    expect(accepted(`${"😀".repeat(1023)}xx`)).toBe(false)
    expect(accepted("x".repeat(1024 * 1024))).toBe(false)
  })

  it("says what is wrong without echoing the password", () => {
    const value = `s3cr3t-${"x".repeat(1024)}`
    const message = refusal(value)
    expect(message).toContain("password must be at most 1024 characters")
    expect(message).not.toContain("s3cr3t")
  })
})
