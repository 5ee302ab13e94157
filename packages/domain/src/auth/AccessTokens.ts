import { Context, type DateTime, type Effect, type Redacted } from "effect"
import type { SessionId } from "../sessions/Session.js"
import type { UserId } from "../users/User.js"
import type { InvalidToken } from "./errors.js"

/** What an access token grants: it speaks for `userId`, within the session `sessionId`. */
export interface TokenGrant {
  readonly userId: UserId
  readonly sessionId: SessionId
}

export interface IssuedToken {
  readonly token: Redacted.Redacted<string>
  /** Seconds from now until the token expires. */
  readonly expiresIn: number
}

/**
 * Issues and verifies short-lived bearer tokens naming a user and their session. Time comes from
 * Clock. Issuing is deterministic: the same grant issued at the same instant is the same token,
 * so a refresh replayed within its grace window answers exactly what it answered the first time.
 */
export class AccessTokens extends Context.Tag("userkit/AccessTokens")<
  AccessTokens,
  {
    /** A token for `grant`, issued at `issuedAt` (now, or the instant a replayed refresh first answered). */
    readonly issue: (grant: TokenGrant, issuedAt: DateTime.Utc) => Effect.Effect<IssuedToken>
    readonly verify: (token: Redacted.Redacted<string>) => Effect.Effect<TokenGrant, InvalidToken>
  }
>() {}
