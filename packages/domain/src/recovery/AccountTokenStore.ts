import { Context, type DateTime, type Effect } from "effect"
import type { UserId } from "../users/User.js"
import type { AccountToken, AccountTokenHash, Redemption, TokenPurpose } from "./AccountToken.js"

/**
 * Where emailed tokens live, as hashes. At most one live token per account and purpose: issuing
 * one replaces the one before it in the same atomic step, whatever races it; redeeming is atomic
 * too, so a token works once, however many present it at once. Time is the caller's. An
 * unreachable store is a `StoreUnavailable` defect. The contract suite in
 * `@userkit/domain/testing` is the full specification.
 */
export class AccountTokenStore extends Context.Tag("userkit/AccountTokenStore")<
  AccountTokenStore,
  {
    /** Stores `token`; the account's earlier unredeemed token of the same purpose is gone (Unknown) from now on. */
    readonly issue: (token: AccountToken) => Effect.Effect<void>
    /** What the token is at `now`, changing nothing. */
    readonly find: (hash: AccountTokenHash, purpose: TokenPurpose, now: DateTime.Utc) => Effect.Effect<Redemption>
    /** Redeems the token at `now` if it is live (`Valid`, then `Used` for everyone after); else says why not. */
    readonly redeem: (hash: AccountTokenHash, purpose: TokenPurpose, now: DateTime.Utc) => Effect.Effect<Redemption>
    /** Drops the account's unredeemed tokens of `purpose` (a password changed another way); answers how many. */
    readonly revokeAll: (userId: UserId, purpose: TokenPurpose) => Effect.Effect<number>
    /** Deletes tokens that expired or were redeemed before `before`; answers how many. */
    readonly purge: (before: DateTime.Utc) => Effect.Effect<number>
  }
>() {}
