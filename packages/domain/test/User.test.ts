import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema, TestClock } from "effect"
import { Email, generateUserId, Registration, Username } from "../src/index.js"

const decodes =
  <A, I>(schema: Schema.Schema<A, I>) =>
  (value: unknown) =>
    Either.isRight(Schema.decodeUnknownEither(schema)(value))

describe("user fields", () => {
  it("email - accepts RFC-shaped addresses, trimmed, and refuses the rest", () => {
    expect(Schema.decodeUnknownSync(Email)("  Ada.Lovelace+tag@Example.co.uk ")).toBe("Ada.Lovelace+tag@Example.co.uk")
    for (const bad of ["", "ada", "ada@", "@example.com", "ada@example", "a da@example.com", "ada@@example.com", 42]) {
      expect(decodes(Email)(bad)).toBe(false)
    }
    expect(decodes(Email)(`${"a".repeat(250)}@example.com`)).toBe(false)
  })

  it("username - 3 to 100 of letters, digits, '_', '.', '-'", () => {
    for (const good of ["ada", "A.b-c_9", "x".repeat(100)]) expect(decodes(Username)(good)).toBe(true)
    for (const bad of ["ab", "x".repeat(101), "ada lovelace", "ada@home", "émile", ""])
      expect(decodes(Username)(bad)).toBe(false)
  })

  it.effect("ids - UUID v7, ordered by the clock's time", () =>
    Effect.gen(function* () {
      yield* TestClock.setTime(Date.parse("2026-01-01T00:00:00Z"))
      const first = yield* generateUserId
      yield* TestClock.adjust("1 millis")
      const second = yield* generateUserId
      expect(first).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/)
      expect(first < second).toBe(true)
      expect(first.replaceAll("-", "").slice(0, 12)).toBe(
        Date.parse("2026-01-01T00:00:00Z").toString(16).padStart(12, "0"),
      )
    }),
  )
})

describe("registration input", () => {
  const base = { email: "ada@example.com", username: "ada", password: "12345678" }

  // The password's configured length is the PasswordPolicy's, checked by the use case (PasswordPolicy.test.ts).
  it("only bounds the password: 1 to 1024 characters", () => {
    expect(decodes(Registration)({ ...base, password: "abc" })).toBe(true)
    expect(decodes(Registration)({ ...base, password: "😀".repeat(1024) })).toBe(true)
    expect(decodes(Registration)({ ...base, password: "" })).toBe(false)
    expect(decodes(Registration)({ ...base, password: "x".repeat(1025) })).toBe(false)
  })

  it("says which field is wrong without ever echoing the password", () => {
    const password = `hunter2${"x".repeat(1024)}`
    const result = Schema.decodeUnknownEither(Registration)({ ...base, password })
    expect(Either.isLeft(result)).toBe(true)
    const message = String(Either.getLeft(result))
    expect(message).toContain("password must be at most 1024 characters")
    expect(message).not.toContain("hunter2")
  })

  it("refuses control characters (NUL above all) in a name or a bio, but keeps line breaks in a bio", () => {
    expect(decodes(Registration)({ ...base, full_name: "Ada\u0000" })).toBe(false)
    expect(decodes(Registration)({ ...base, bio: "bell\u0007" })).toBe(false)
    expect(decodes(Registration)({ ...base, bio: "line one\nline two\ttabbed" })).toBe(true)
  })

  it("refuses fields it does not know, such as a privilege", () => {
    expect(decodes(Registration)({ ...base, is_superuser: true })).toBe(false)
  })

  it("keeps the password redacted once decoded", () => {
    const decoded = Schema.decodeUnknownSync(Registration)(base)
    expect(String(decoded.password)).not.toContain("12345678")
    expect(JSON.stringify(decoded)).not.toContain("12345678")
  })
})
