import { Accounts, Administration, NewSuperuser, Registration } from "@userkit/domain"
import { aClient } from "@userkit/domain/testing"
import { Effect, Schema } from "effect"
import { MemoryDomain } from "../../src/index.js"

/** The whole domain on memory adapters, fresh on each build. */
export const TestDomain = MemoryDomain.layer

let counter = 0
/** A registered, ordinary user; override what a test is about. */
export const aMember = (fields: Record<string, unknown> = {}) => {
  const n = counter++
  return Effect.flatMap(Accounts, (accounts) =>
    accounts.register(
      Schema.decodeUnknownSync(Registration)({
        email: `member${n}@example.com`,
        username: `member${n}`,
        password: "member password",
        ...fields,
      }),
      aClient,
    ),
  )
}

export const aSuperuser = Effect.suspend(() => {
  const n = counter++
  return Effect.flatMap(Administration, (admin) =>
    admin.bootstrapSuperuser(
      Schema.decodeUnknownSync(NewSuperuser)({
        email: `root${n}@example.com`,
        username: `root${n}`,
        password: "root password",
      }),
    ),
  )
})
