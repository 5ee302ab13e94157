import { Context, Effect, Layer, Option } from "effect"
import type { User, UserId } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import type { SessionId } from "./Session.js"
import { SessionStore } from "./SessionStore.js"

/**
 * What every authenticated request asks: is this session live, and whose is it? A store that
 * holds sessions and accounts side by side answers in one round trip (PostgreSQL: a join). It is
 * optional: without it, `Sessions` asks the SessionStore, then the UserRepository (`fromStores`).
 */
export class SessionOwners extends Context.Tag("userkit/SessionOwners")<
  SessionOwners,
  {
    /** The account `userId`, if `sessionId` is a live session of it (active or not: the caller decides). */
    readonly findLive: (sessionId: SessionId, userId: UserId) => Effect.Effect<Option.Option<User>>
  }
>() {
  /** Two lookups, the session then the account: for stores that cannot join them. */
  static readonly makeFromStores: Effect.Effect<
    Context.Tag.Service<SessionOwners>,
    never,
    SessionStore | UserRepository
  > = Effect.gen(function* () {
    const store = yield* SessionStore
    const users = yield* UserRepository
    return {
      findLive: (sessionId, userId) =>
        Effect.flatMap(store.findLive(sessionId), (session) =>
          Option.isSome(session) && session.value.userId === userId
            ? Effect.map(
                users.findById(userId),
                Option.map((stored) => stored.user),
              )
            : Effect.succeedNone,
        ),
    }
  })

  static readonly fromStores: Layer.Layer<SessionOwners, never, SessionStore | UserRepository> = Layer.effect(
    this,
    this.makeFromStores,
  )
}
