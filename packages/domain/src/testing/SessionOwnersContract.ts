import { describe, expect, it } from "@effect/vitest"
import { Effect, Layer, Option, TestClock } from "effect"
import { generateSessionId, type SessionId } from "../sessions/Session.js"
import { SessionOwners } from "../sessions/SessionOwners.js"
import type { SessionStore } from "../sessions/SessionStore.js"
import type { UserId } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import { aStoredUser } from "./fixtures.js"
import { aUser, login, revoke, rules, START } from "./SessionStoreSupport.js"

const ownerOf = (sessionId: SessionId, userId: UserId) =>
  Effect.flatMap(SessionOwners, (owners) => owners.findLive(sessionId, userId))
const idOf = (found: Option.Option<{ readonly id: UserId }>) => Option.map(found, (user) => user.id)

/**
 * The specification of SessionOwners: the account of a live session, or none. `layer` holds the
 * SessionOwners under test and the stores it reads (built afresh for every test); time is the
 * test's Clock.
 */
export const sessionOwnersContract = (
  name: string,
  layer: Layer.Layer<SessionOwners | SessionStore | UserRepository, unknown>,
) =>
  describe(`SessionOwners contract: ${name}`, () => {
    const test = (title: string, body: Effect.Effect<void, never, SessionOwners | SessionStore | UserRepository>) =>
      it.effect(title, () => Effect.provide(Effect.andThen(TestClock.setTime(START), body), layer), 60_000)

    test(
      "answers the account of a live session, inactive or not; none for another user, an unknown session",
      Effect.gen(function* () {
        const userId = yield* aUser
        const { session } = yield* login(userId)
        expect(idOf(yield* ownerOf(session.id, userId))).toEqual(Option.some(userId))
        const other = yield* aUser
        expect(yield* ownerOf(session.id, other)).toEqual(Option.none())
        expect(yield* ownerOf(yield* generateSessionId, userId)).toEqual(Option.none())
        const sleeper = aStoredUser({ is_active: false })
        yield* Effect.orDie(Effect.flatMap(UserRepository, (users) => users.insert(sleeper)))
        const asleep = yield* login(sleeper.user.id)
        const found = yield* ownerOf(asleep.session.id, sleeper.user.id)
        expect(Option.map(found, (user) => [user.id, user.is_active])).toEqual(Option.some([sleeper.user.id, false]))
      }),
    )

    test(
      "answers none once the session is revoked, idle past its end, or its account deleted",
      Effect.gen(function* () {
        const userId = yield* aUser
        const [revoked, idle] = yield* Effect.all([login(userId), login(userId)])
        yield* revoke(userId, revoked.session.id)
        expect(yield* ownerOf(revoked.session.id, userId)).toEqual(Option.none())
        yield* TestClock.adjust(rules.idleTimeout)
        expect(yield* ownerOf(idle.session.id, userId)).toEqual(Option.none())
        const deleted = yield* aUser
        const gone = yield* login(deleted)
        yield* Effect.orDie(Effect.flatMap(UserRepository, (users) => users.delete(deleted)))
        expect(yield* ownerOf(gone.session.id, deleted)).toEqual(Option.none())
      }),
    )

    test(
      "answers each of many lookups at once with its own account, while sessions are revoked among them",
      Effect.gen(function* () {
        const owners = yield* Effect.all(
          Array.from({ length: 12 }, () =>
            Effect.flatMap(aUser, (userId) => Effect.map(login(userId), ({ session }) => ({ userId, session }))),
          ),
        )
        // Every other owner's session is revoked while the lookups run; each lookup runs 8 times.
        const revoked = new Set(owners.filter((_, i) => i % 2 === 1).map(({ session }) => session.id))
        const lookups = owners.flatMap(({ userId, session }) =>
          Array.from({ length: 8 }, () =>
            Effect.map(ownerOf(session.id, userId), (found) => ({ userId, session, found: idOf(found) })),
          ),
        )
        const revokes = owners
          .filter(({ session }) => revoked.has(session.id))
          .map(({ userId, session }) => revoke(userId, session.id))
        const [answers] = yield* Effect.all(
          [Effect.all(lookups, { concurrency: "unbounded" }), Effect.all(revokes, { concurrency: "unbounded" })],
          { concurrency: "unbounded" },
        )
        expect(answers).toHaveLength(owners.length * 8)
        for (const { userId, session, found } of answers) {
          // Never another's account: its own, or none once (and only if) its session was revoked.
          if (revoked.has(session.id)) expect([Option.none(), Option.some(userId)]).toContainEqual(found)
          else expect(found).toEqual(Option.some(userId))
        }
        for (const { userId, session } of owners)
          expect(idOf(yield* ownerOf(session.id, userId))).toEqual(
            revoked.has(session.id) ? Option.none() : Option.some(userId),
          )
      }),
    )
  })

/** The two-lookup SessionOwners over `stores`, as the contract takes it. */
export const ownersFromStores = <E>(stores: Layer.Layer<SessionStore | UserRepository, E>) =>
  Layer.provideMerge(SessionOwners.fromStores, stores)
