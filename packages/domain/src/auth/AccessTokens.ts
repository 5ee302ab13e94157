import { Context, type Effect, type Redacted } from "effect"
import type { UserId } from "../users/User.js"
import type { InvalidToken } from "./errors.js"

export interface IssuedToken {
  readonly token: Redacted.Redacted<string>
  /** Seconds from now until the token expires. */
  readonly expiresIn: number
}

/** Issues and verifies short-lived bearer tokens naming a user. Time comes from Clock. */
export class AccessTokens extends Context.Tag("userkit/AccessTokens")<
  AccessTokens,
  {
    readonly issue: (userId: UserId) => Effect.Effect<IssuedToken>
    readonly verify: (token: Redacted.Redacted<string>) => Effect.Effect<UserId, InvalidToken>
  }
>() {}
