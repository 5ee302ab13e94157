import {
  type AccountToken,
  type AccountTokenHash,
  AccountTokenStore,
  Redemption,
  type TokenPurpose,
  type UserId,
  UserRepository,
} from "@userkit/domain"
import { DateTime, Effect, HashMap, Layer, Option, Ref } from "effect"

interface Stored {
  readonly token: AccountToken
  readonly redeemedAt: Option.Option<DateTime.Utc>
}

type Tokens = HashMap.HashMap<AccountTokenHash, Stored>

/** The token stored under `hash` for `purpose`: another purpose's is no token at all. */
const lookUp = (tokens: Tokens, hash: AccountTokenHash, purpose: TokenPurpose): Stored | undefined =>
  Option.getOrUndefined(Option.filter(HashMap.get(tokens, hash), (stored) => stored.token.purpose === purpose))

/** What a stored token is at `now`: Used wins over Expired. */
const classify = (stored: Stored | undefined, now: DateTime.Utc): Redemption => {
  if (stored === undefined) return Redemption.Unknown()
  if (Option.isSome(stored.redeemedAt)) return Redemption.Used()
  if (DateTime.greaterThanOrEqualTo(now, stored.token.expiresAt)) return Redemption.Expired()
  return Redemption.Valid({ token: stored.token })
}

const isLive = (stored: Stored, userId: UserId, purpose: TokenPurpose) =>
  stored.token.userId === userId && stored.token.purpose === purpose && Option.isNone(stored.redeemedAt)

const isPurgeable = (stored: Stored, before: DateTime.Utc) =>
  DateTime.lessThan(stored.token.expiresAt, before) ||
  Option.exists(stored.redeemedAt, (at) => DateTime.lessThan(at, before))

/**
 * An AccountTokenStore in one Ref: each decision (which token a new one replaces, whether a token
 * is redeemed now, which tokens a revocation or a purge takes) is one `Ref.modify`, so no other
 * fiber writes between its read and its write.
 *
 * Tokens die with their account, as the SQL table's ON DELETE CASCADE makes them: this store asks
 * the UserRepository it is given whether the account exists before it decides, and treats the
 * tokens of a deleted account as gone (Unknown, revoked and purged by no one). An account never
 * comes back once deleted (ids are never reused), so an account seen present before a decision
 * was present at every earlier instant, and a decision made on it is one that could have happened
 * just before the deletion, as in SQL. Sharing the user repository's Ref instead would tie this
 * module to that one's internals.
 */
export const make = Effect.gen(function* () {
  const users = yield* UserRepository
  const state = yield* Ref.make<Tokens>(HashMap.empty())
  const accountExists = (id: UserId) => Effect.map(users.findById(id), Option.isSome)

  /** `decide` on the token under `hash`, once its account is known to exist; Unknown if none or if gone. */
  const onToken = (
    hash: AccountTokenHash,
    purpose: TokenPurpose,
    decide: (tokens: Tokens, owner: UserId) => Effect.Effect<Redemption>,
  ): Effect.Effect<Redemption> =>
    Effect.flatMap(Ref.get(state), (tokens) => {
      const stored = lookUp(tokens, hash, purpose)
      if (stored === undefined) return Effect.succeed(Redemption.Unknown())
      const owner = stored.token.userId
      return Effect.flatMap(accountExists(owner), (exists) =>
        exists ? decide(tokens, owner) : Effect.succeed(Redemption.Unknown()),
      )
    })

  const redeem = (hash: AccountTokenHash, purpose: TokenPurpose, now: DateTime.Utc): Effect.Effect<Redemption> =>
    onToken(hash, purpose, (_, owner) =>
      Effect.flatten(
        Ref.modify(state, (tokens): [Effect.Effect<Redemption>, Tokens] => {
          const stored = lookUp(tokens, hash, purpose)
          // The hash now names another account's token (replaced, then issued again): decide afresh.
          if (stored !== undefined && stored.token.userId !== owner) return [redeem(hash, purpose, now), tokens]
          const answer = classify(stored, now)
          if (stored === undefined || answer._tag !== "Valid") return [Effect.succeed(answer), tokens]
          return [Effect.succeed(answer), HashMap.set(tokens, hash, { ...stored, redeemedAt: Option.some(now) })]
        }),
      ),
    )

  return AccountTokenStore.of({
    issue: (token) =>
      Effect.flatMap(accountExists(token.userId), (exists) =>
        exists
          ? Effect.flatten(
              Ref.modify(state, (tokens): [Effect.Effect<void>, Tokens] => {
                const previous = HashMap.findFirst(tokens, (stored) => isLive(stored, token.userId, token.purpose))
                const clash = HashMap.get(tokens, token.hash)
                // As the primary key would: a hash stored for any token but the one replaced.
                if (Option.isSome(clash) && !Option.exists(previous, ([hash]) => hash === token.hash)) {
                  return [Effect.dieMessage("issuing an account token: its hash is already stored"), tokens]
                }
                const without = Option.match(previous, {
                  onNone: () => tokens,
                  onSome: ([hash]) => HashMap.remove(tokens, hash),
                })
                return [Effect.void, HashMap.set(without, token.hash, { token, redeemedAt: Option.none() })]
              }),
            )
          : // As the foreign key would.
            Effect.dieMessage("issuing an account token: its account does not exist"),
      ),
    find: (hash, purpose, now) =>
      onToken(hash, purpose, (tokens) => Effect.succeed(classify(lookUp(tokens, hash, purpose), now))),
    redeem,
    revokeAll: (userId, purpose) =>
      Effect.flatMap(accountExists(userId), (exists) =>
        exists
          ? Ref.modify(state, (tokens): [number, Tokens] => {
              const kept = HashMap.filter(tokens, (stored) => !isLive(stored, userId, purpose))
              return [HashMap.size(tokens) - HashMap.size(kept), kept]
            })
          : Effect.succeed(0),
      ),
    purge: (before) =>
      Effect.gen(function* () {
        const owners = new Set(Array.from(HashMap.values(yield* Ref.get(state)), (stored) => stored.token.userId))
        const gone = new Set(yield* Effect.filter(owners, (id) => Effect.map(accountExists(id), (exists) => !exists)))
        return yield* Ref.modify(state, (tokens): [number, Tokens] => {
          // A deleted account's tokens went with it: dropped here, counted by no purge.
          const ofAccounts = HashMap.filter(tokens, (stored) => !gone.has(stored.token.userId))
          const kept = HashMap.filter(ofAccounts, (stored) => !isPurgeable(stored, before))
          return [HashMap.size(ofAccounts) - HashMap.size(kept), kept]
        })
      }),
  })
})

/** The domain's AccountTokenStore in memory, empty on each build, its accounts those of `UserRepository`. */
export const layer: Layer.Layer<AccountTokenStore, never, UserRepository> = Layer.effect(AccountTokenStore, make)
