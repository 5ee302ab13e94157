import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Layer, Redacted, Schema } from "effect"
import {
  BreachedPasswords,
  DEFAULT_PASSWORD_RULES,
  type PasswordOwner,
  PasswordPolicy,
  PasswordRules,
} from "../src/index.js"

const ada: PasswordOwner = { email: "Ada.Lovelace@Example.com", username: "countess_ada" }

/** What the policy answers for `password`: "accepted", or the reason it gives. */
const verdict = (password: string, owner: PasswordOwner = ada) =>
  Effect.flatMap(PasswordPolicy, (policy) => policy.check(Redacted.make(password), owner, "password")).pipe(
    Effect.match({ onFailure: (rejected) => rejected.reason, onSuccess: () => "accepted" }),
  )

// "e" followed by a combining acute accent: two code points that NFKC composes into one "é".
const decomposedE = "e\u0301"
// A ligature is one code point typed, two after NFKC ("ﬁ" is "fi").
const ligature = "\ufb01"

const tooShort = "password must be at least 8 characters"
const tooLong = "password must be at most 128 characters"

describe("PasswordRules", () => {
  const decode = Schema.decodeUnknownEither(PasswordRules)

  it("defaults to 8 to 128 characters", () => {
    expect(DEFAULT_PASSWORD_RULES).toMatchObject({ minLength: 8, maxLength: 128 })
    expect(Either.getOrThrow(decode({}))).toMatchObject({ minLength: 8, maxLength: 128 })
  })

  it("refuses a minimum below 1, a maximum above 1024, and a minimum above the maximum", () => {
    for (const [rules, message] of [
      [{ minLength: 0 }, "minLength must be at least 1"],
      [{ maxLength: 1025 }, "maxLength must be at most 1024"],
      [{ minLength: 20, maxLength: 12 }, "minLength must be at most maxLength"],
      [{ minLength: 8.5 }, "integer"],
    ] as const) {
      expect(Either.match(decode(rules), { onLeft: String, onRight: () => "accepted" })).toContain(message)
    }
    expect(Either.isRight(decode({ minLength: 1, maxLength: 1024 }))).toBe(true)
  })
})

describe("PasswordPolicy", () => {
  it.layer(PasswordPolicy.layer())((it) => {
    it.effect("accepts a long passphrase that repeats nothing about its owner", () =>
      Effect.gen(function* () {
        expect(yield* verdict("correct horse battery staple")).toBe("accepted")
      }),
    )

    it.effect("counts its 8-character minimum after NFKC normalization", () =>
      Effect.gen(function* () {
        expect(yield* verdict(decomposedE.repeat(4))).toBe(tooShort)
        expect(yield* verdict("\u00e9".repeat(7))).toBe(tooShort)
        expect(yield* verdict(decomposedE.repeat(8))).toBe("accepted")
        expect(yield* verdict(ligature.repeat(4))).toBe("accepted")
        // Characters, not UTF-16 units: an emoji is one character and two units.
        expect(yield* verdict("😀".repeat(7))).toBe(tooShort)
        expect(yield* verdict("😀".repeat(8))).toBe("accepted")
      }),
    )

    it.effect("counts its 128-character maximum after NFKC normalization", () =>
      Effect.gen(function* () {
        expect(yield* verdict(decomposedE.repeat(128))).toBe("accepted")
        expect(yield* verdict(decomposedE.repeat(129))).toBe(tooLong)
        expect(yield* verdict(ligature.repeat(64))).toBe("accepted")
        expect(yield* verdict(`${ligature.repeat(64)}x`)).toBe(tooLong)
      }),
    )

    it.effect("refuses the owner's email, in any case or Unicode form", () =>
      Effect.gen(function* () {
        const sameAsEmail = "password must not be the same as the email"
        expect(yield* verdict("ada.lovelace@example.com")).toBe(sameAsEmail)
        expect(yield* verdict("ADA.LOVELACE@EXAMPLE.COM")).toBe(sameAsEmail)
        // Fullwidth letters are their ASCII twins after NFKC.
        expect(yield* verdict("ａｄａ.lovelace@example.com")).toBe(sameAsEmail)
        expect(yield* verdict("ada.lovelace@example.org")).toBe("accepted")
      }),
    )

    it.effect("refuses the part of the owner's email before the @", () =>
      Effect.gen(function* () {
        expect(yield* verdict("Ada.Lovelace")).toBe(
          "password must not be the same as the part of the email before the @",
        )
        expect(yield* verdict("ada.lovelace1")).toBe("accepted")
      }),
    )

    it.effect("refuses the owner's username, in any case", () =>
      Effect.gen(function* () {
        expect(yield* verdict("Countess_ADA")).toBe("password must not be the same as the username")
        expect(yield* verdict("countess_ada", { ...ada, username: "someone_else" })).toBe("accepted")
      }),
    )

    it.effect("refuses a password among the most used ones, in any case", () =>
      Effect.gen(function* () {
        const tooCommon = "password is too common: it is among the most used passwords"
        for (const common of ["password123", "qwerty123", "Password1", "TRUSTNO1", "iloveyou"]) {
          expect(yield* verdict(common)).toBe(tooCommon)
        }
      }),
    )

    it.effect("names the field the password came in, and never echoes it", () =>
      Effect.gen(function* () {
        const policy = yield* PasswordPolicy
        for (const password of [decomposedE.repeat(3), "password123", "ada.lovelace@example.com"]) {
          const rejected = yield* Effect.flip(policy.check(Redacted.make(password), ada, "new_password"))
          expect(rejected.field).toBe("new_password")
          for (const shown of [rejected.message, String(rejected), JSON.stringify(rejected)]) {
            expect(shown).not.toContain(password)
            expect(shown).not.toContain(password.normalize("NFKC"))
          }
        }
      }),
    )

    it.effect("tells its rules", () =>
      Effect.gen(function* () {
        expect((yield* PasswordPolicy).rules).toBe(DEFAULT_PASSWORD_RULES)
      }),
    )
  })

  it.layer(PasswordPolicy.layer(new PasswordRules({ minLength: 12, maxLength: 20 })))((it) => {
    it.effect("applies the configured lengths, and says them", () =>
      Effect.gen(function* () {
        expect(yield* verdict("a".repeat(6) + "b".repeat(5))).toBe("password must be at least 12 characters")
        expect(yield* verdict("a".repeat(6) + "b".repeat(6))).toBe("accepted")
        expect(yield* verdict("a".repeat(10) + "b".repeat(10))).toBe("accepted")
        expect(yield* verdict("a".repeat(10) + "b".repeat(11))).toBe("password must be at most 20 characters")
      }),
    )
  })
})

/** A BreachedPasswords that calls breached every password in `breached`, and records what it is asked. */
const breachedOnly = (breached: ReadonlyArray<string>) => {
  const asked: Array<string> = []
  const layer = Layer.succeed(BreachedPasswords, {
    isBreached: (password) =>
      Effect.sync(() => {
        asked.push(Redacted.value(password))
        return breached.includes(Redacted.value(password))
      }),
  })
  return { asked, policy: PasswordPolicy.layer().pipe(Layer.provide(layer)) }
}

describe("PasswordPolicy with a BreachedPasswords", () => {
  it.effect("refuses a password known from a breach, and says so", () =>
    Effect.gen(function* () {
      const breaches = breachedOnly(["Tr0ub4dor&3 again"])
      const answers = yield* Effect.all([verdict("Tr0ub4dor&3 again"), verdict("correct horse battery staple")]).pipe(
        Effect.provide(breaches.policy),
      )
      expect(answers).toEqual(["password has appeared in a known data breach", "accepted"])
      expect(breaches.asked).toEqual(["Tr0ub4dor&3 again", "correct horse battery staple"])
    }),
  )

  it.effect("asks about a password only once the local rules have passed it", () =>
    Effect.gen(function* () {
      const everything = ["short", "ada.lovelace@example.com", "ada.lovelace", "countess_ada", "password123"]
      const breaches = breachedOnly(everything)
      const answers = yield* Effect.forEach(everything, (password) => verdict(password)).pipe(
        Effect.provide(breaches.policy),
      )
      expect(answers).not.toContain("accepted")
      expect(answers).not.toContain("password has appeared in a known data breach")
      expect(breaches.asked).toEqual([])
    }),
  )

  it.effect("is not asked at all when none is provided", () =>
    Effect.gen(function* () {
      const breaches = breachedOnly(["correct horse battery staple"])
      expect(yield* verdict("correct horse battery staple").pipe(Effect.provide(breaches.policy))).not.toBe("accepted")
      expect(yield* verdict("correct horse battery staple").pipe(Effect.provide(PasswordPolicy.layer()))).toBe(
        "accepted",
      )
    }),
  )
})
