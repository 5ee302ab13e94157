import { createHmac } from "node:crypto"
import { describe, expect, it } from "@effect/vitest"
import * as bcrypt from "@node-rs/bcrypt"
import { PasswordHasher } from "@userkit/domain"
import { passwordHasherContract } from "@userkit/domain/testing"
import { Cause, Effect, Exit, type Layer, Redacted } from "effect"
import { BcryptPasswordHasher } from "../src/index.js"

passwordHasherContract("bcrypt", BcryptPasswordHasher.layer({ cost: 4 }))

const hashWith = (layer: Layer.Layer<PasswordHasher>, password: string) =>
  Effect.flatMap(PasswordHasher, (hasher) => hasher.hash(Redacted.make(password))).pipe(Effect.provide(layer))

describe("BcryptPasswordHasher", () => {
  it.effect("stores a standard bcrypt string with the configured cost", () =>
    Effect.gen(function* () {
      const hash = yield* hashWith(BcryptPasswordHasher.layer({ cost: 4 }), "correct horse battery staple")
      expect(hash).toMatch(/^\$2b\$04\$[./A-Za-z0-9]{53}$/)
    }),
  )

  it.effect("uses cost 12 when no cost is given", () =>
    Effect.gen(function* () {
      const hash = yield* hashWith(BcryptPasswordHasher.layer(), "correct horse battery staple")
      expect(hash.startsWith("$2b$12$")).toBe(true)
    }),
  )

  // Pins the stored format: a change here would lock every existing user out.
  it.effect("hashes the HMAC-SHA256 of the NFKC form, so stored hashes stay verifiable", () =>
    Effect.gen(function* () {
      const hash = yield* hashWith(
        BcryptPasswordHasher.layer({ cost: 4 }),
        "\uff43\uff41\uff46\u00e9 \ufb01ne password",
      )
      const expected = createHmac("sha256", "userkit/bcrypt-sha256/v1").update("café fine password").digest("base64")
      expect(yield* Effect.promise(() => bcrypt.verify(expected, hash))).toBe(true)
      expect(yield* Effect.promise(() => bcrypt.verify("café fine password", hash))).toBe(false)
    }),
  )

  it.effect("refuses to build with a cost outside 4..31", () =>
    Effect.gen(function* () {
      for (const cost of [3, 32, 10.5, Number.NaN]) {
        const exit = yield* Effect.exit(hashWith(BcryptPasswordHasher.layer({ cost }), "whatever password"))
        expect(Exit.isFailure(exit) && Cause.isDie(exit.cause)).toBe(true)
      }
    }),
  )
})
