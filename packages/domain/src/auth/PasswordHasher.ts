import { Context, type Effect, type Redacted } from "effect"
import type { PasswordHash } from "./Password.js"

/** Hashes and checks passwords. `verify` answers false for a hash it cannot read. */
export class PasswordHasher extends Context.Tag("userkit/PasswordHasher")<
  PasswordHasher,
  {
    readonly hash: (password: Redacted.Redacted<string>) => Effect.Effect<PasswordHash>
    readonly verify: (password: Redacted.Redacted<string>, hash: PasswordHash) => Effect.Effect<boolean>
  }
>() {}
