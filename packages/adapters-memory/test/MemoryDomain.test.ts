import { expect, it } from "@effect/vitest"
import { Accounts, Registration } from "@userkit/domain"
import { aClient } from "@userkit/domain/testing"
import { Effect, Schema } from "effect"
import { MemoryDomain } from "../src/index.js"

it.effect("MemoryDomain - runs the whole domain with nothing else, fresh on each build", () =>
  Effect.gen(function* () {
    const domain = MemoryDomain.layer
    const input = Schema.decodeUnknownSync(Registration)({
      email: "a@example.com",
      username: "abc",
      password: "a fine password",
    })
    const register = Effect.flatMap(Accounts, (accounts) => accounts.register(input, aClient))
    yield* register.pipe(Effect.provide(domain))
    // A second build is a new, empty store: the same registration succeeds again.
    const again = yield* register.pipe(Effect.provide(domain))
    expect(again.email).toBe("a@example.com")
  }),
)
