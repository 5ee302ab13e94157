import { Context, type Effect, type Redacted } from "effect"
import type { PasswordHash } from "./Password.js"

/** Hashes and checks passwords. `verify` answers false for a hash it cannot read. */
export class PasswordHasher extends Context.Tag("userkit/PasswordHasher")<
  PasswordHasher,
  {
    readonly hash: (password: Redacted.Redacted<string>) => Effect.Effect<PasswordHash>
    readonly verify: (password: Redacted.Redacted<string>, hash: PasswordHash) => Effect.Effect<boolean>
    /**
     * Whether a stored hash is not what `hash` makes now (another cost, another scheme, a hash it
     * cannot read), so that a login which has just verified the password should store a new one.
     */
    readonly needsRehash: (hash: PasswordHash) => boolean
  }
>() {}
