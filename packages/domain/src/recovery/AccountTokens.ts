import { DateTime, type Duration, Effect, type Redacted } from "effect"
import { Digests } from "../Digests.js"
import { digestOf, mintToken } from "../OpaqueTokens.js"
import type { User } from "../users/User.js"
import { AccountToken, AccountTokenHash, Redemption, type TokenPurpose } from "./AccountToken.js"
import { AccountTokenStore } from "./AccountTokenStore.js"
import { TokenExpired, TokenInvalid, TokenUsed } from "./errors.js"

const brand = (digest: string) => AccountTokenHash.make(digest)

const refusal = Redemption.$match({
  Valid: ({ token }) => Effect.succeed(token),
  Used: () => Effect.fail(new TokenUsed()),
  Expired: () => Effect.fail(new TokenExpired()),
  Unknown: () => Effect.fail(new TokenInvalid()),
})

/** Emailed tokens: minted (256 random bits), kept as their SHA-256, checked and redeemed in the store. */
export class AccountTokens extends Effect.Service<AccountTokens>()("userkit/AccountTokens", {
  effect: Effect.gen(function* () {
    const store = yield* AccountTokenStore
    const digests = yield* Digests

    const hashOf = (presented: Redacted.Redacted<string>) =>
      Effect.flatMap(digestOf(digests, presented, brand), (hash) =>
        hash === undefined ? Effect.fail(new TokenInvalid()) : Effect.succeed(hash),
      )

    return {
      /** A new token for `user`'s current address, live for `lifetime`; the account's earlier one of this purpose is void. */
      issue: (user: User, purpose: TokenPurpose, lifetime: Duration.Duration) =>
        Effect.gen(function* () {
          const minted = yield* mintToken(digests, brand)
          const now = yield* DateTime.now
          yield* store.issue(
            new AccountToken({
              hash: minted.hash,
              purpose,
              userId: user.id,
              email: user.email,
              createdAt: now,
              expiresAt: DateTime.addDuration(now, lifetime),
            }),
          )
          return minted.token
        }),
      /** The live token presented, unchanged; else why it is not. */
      find: (presented: Redacted.Redacted<string>, purpose: TokenPurpose) =>
        Effect.gen(function* () {
          const hash = yield* hashOf(presented)
          return yield* refusal(yield* store.find(hash, purpose, yield* DateTime.now))
        }),
      /** The token presented, redeemed now (no one else ever will); else why not. */
      redeem: (presented: Redacted.Redacted<string>, purpose: TokenPurpose) =>
        Effect.gen(function* () {
          const hash = yield* hashOf(presented)
          return yield* refusal(yield* store.redeem(hash, purpose, yield* DateTime.now))
        }),
      revokeAll: store.revokeAll,
    } as const
  }),
}) {}
