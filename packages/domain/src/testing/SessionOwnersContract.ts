import { describe, expect, it } from "@effect/vitest"
import { DateTime, Effect, Layer, Option, TestClock } from "effect"
import { auditEvent } from "../audit/AuditEvent.js"
import { AuditLog } from "../audit/AuditLog.js"
import { clientAt } from "../auth/Client.js"
import { PasswordHash } from "../auth/Password.js"
import { generateSessionId, type Session, type SessionId } from "../sessions/Session.js"
import { SessionOwners } from "../sessions/SessionOwners.js"
import { Rotation, type SessionStore } from "../sessions/SessionStore.js"
import type { Transactions } from "../Transactions.js"
import type { UserId } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import {
  aSession,
  aTokenHash,
  aUser,
  aUserWith,
  findLive,
  listLive,
  login,
  revoke,
  revokeAll,
  rotate,
  rules,
  START,
} from "./SessionStoreSupport.js"

const ownerOf = (sessionId: SessionId, userId: UserId) =>
  Effect.flatMap(SessionOwners, (owners) => owners.findLive(sessionId, userId))
const idOf = (found: Option.Option<{ readonly id: UserId }>) => Option.map(found, (user) => user.id)

/** `session` opened through SessionOwners for an account verified with `verified`: what it found, the token, the event. */
export const openFor = (session: Session, verified: PasswordHash) =>
  Effect.gen(function* () {
    const token = aTokenHash()
    const event = yield* auditEvent("logged_in", {
      actor: session.userId,
      target: session.userId,
      client: clientAt(session.address, session.userAgent),
    })
    const found = yield* Effect.flatMap(SessionOwners, (owners) => owners.open(session, token, verified, event))
    return { found, token, event }
  })

const loggedIn = (userId: UserId) =>
  Effect.flatMap(AuditLog, (log) => log.list({ target: userId, types: ["logged_in"], limit: 100 }))

/**
 * The specification of SessionOwners: the account of a live session, or none; a session opened
 * only for an account as its login verified it, whatever races it. `layer` holds the SessionOwners
 * under test and the stores it uses (built afresh for every test); time is the test's Clock.
 */
export const sessionOwnersContract = (
  name: string,
  layer: Layer.Layer<SessionOwners | SessionStore | UserRepository | AuditLog, unknown>,
) =>
  describe(`SessionOwners contract: ${name}`, () => {
    const test = (
      title: string,
      body: Effect.Effect<void, never, SessionOwners | SessionStore | UserRepository | AuditLog>,
    ) => it.effect(title, () => Effect.provide(Effect.andThen(TestClock.setTime(START), body), layer), 60_000)

    test(
      "answers the account of a live session, inactive or not; none for another user, an unknown session",
      Effect.gen(function* () {
        const userId = yield* aUser
        const { session } = yield* login(userId)
        expect(idOf(yield* ownerOf(session.id, userId))).toEqual(Option.some(userId))
        const other = yield* aUser
        expect(yield* ownerOf(session.id, other)).toEqual(Option.none())
        expect(yield* ownerOf(yield* generateSessionId, userId)).toEqual(Option.none())
        const sleeper = yield* aUserWith({ is_active: false })
        const asleep = yield* login(sleeper)
        const found = yield* ownerOf(asleep.session.id, sleeper)
        expect(Option.map(found, (user) => [user.id, user.is_active])).toEqual(Option.some([sleeper, false]))
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

    test(
      "open: opens for the account as verified, with its first token current and its event recorded",
      Effect.gen(function* () {
        const userId = yield* aUserWith({ passwordHash: "hash-as-verified" })
        const session = yield* aSession(userId)
        const { found, token, event } = yield* openFor(session, PasswordHash.make("hash-as-verified"))
        expect(found).toBe("opened")
        expect(Option.map(yield* findLive(session.id), (live) => live.id)).toEqual(Option.some(session.id))
        expect(idOf(yield* ownerOf(session.id, userId))).toEqual(Option.some(userId))
        expect((yield* rotate(token, aTokenHash()))._tag).toBe("Rotated")
        expect((yield* loggedIn(userId)).map((recorded) => recorded.id)).toEqual([event.id])
      }),
    )

    test(
      "open: refuses a changed password, a deactivated or deleted account, and leaves none of their sessions live",
      Effect.gen(function* () {
        const verified = PasswordHash.make("hash-as-verified")
        const changed = yield* aUserWith({ passwordHash: "hash-changed-since" })
        const asleep = yield* aUserWith({ passwordHash: "hash-as-verified", is_active: false })
        const asleepAndChanged = yield* aUserWith({ passwordHash: "hash-changed-since", is_active: false })
        const deleted = yield* aUserWith({ passwordHash: "hash-as-verified" })
        yield* Effect.orDie(Effect.flatMap(UserRepository, (users) => users.delete(deleted)))
        const cases = [
          [changed, "changed"],
          [asleep, "inactive"],
          [asleepAndChanged, "changed"],
          [deleted, "changed"],
        ] as const
        for (const [userId, expected] of cases) {
          const session = yield* aSession(userId)
          const { found, token } = yield* openFor(session, verified)
          expect([userId, found]).toEqual([userId, expected])
          expect(yield* findLive(session.id)).toEqual(Option.none())
          expect(yield* listLive(userId)).toEqual([])
          expect(yield* rotate(token, aTokenHash())).toEqual(Rotation.Unknown())
        }
      }),
    )

    test(
      "open: raced by password changes and deactivations, leaves no session of an old password or a deactivated account live",
      Effect.gen(function* () {
        const users = yield* UserRepository
        const hashOf = (round: number) => PasswordHash.make(`hash-round-${round}`)
        const userId = yield* aUserWith({ passwordHash: hashOf(0) })
        const outcomes: Array<string> = []
        for (let round = 0; round < 6; round++) {
          // Every change writes the account first and ends its sessions after, as the use cases do.
          const change = Effect.gen(function* () {
            expect(yield* users.replacePasswordHash(userId, hashOf(round), hashOf(round + 1))).toBe(true)
            yield* revokeAll(userId)
          })
          const opens = Array.from({ length: 8 }, () =>
            Effect.flatMap(aSession(userId), (session) => openFor(session, hashOf(round))),
          )
          const [found] = yield* Effect.all(
            [Effect.all(opens, { concurrency: "unbounded" }), Effect.yieldNow().pipe(Effect.zipRight(change))],
            { concurrency: "unbounded" },
          )
          outcomes.push(...found.map((opening) => opening.found))
          expect(yield* listLive(userId)).toEqual([])
        }
        expect(outcomes.filter((found) => found !== "opened" && found !== "changed")).toEqual([])
        // Deactivated while logins open sessions: none stays live, and none opens after.
        const changes = { is_active: false, updatedAt: yield* DateTime.now }
        const deactivate = Effect.zipRight(Effect.orDie(users.setStanding(userId, changes)), revokeAll(userId))
        const opens = Array.from({ length: 8 }, () =>
          Effect.flatMap(aSession(userId), (session) => openFor(session, hashOf(6))),
        )
        yield* Effect.all([Effect.all(opens, { concurrency: "unbounded" }), deactivate], { concurrency: "unbounded" })
        expect(yield* listLive(userId)).toEqual([])
        expect((yield* openFor(yield* aSession(userId), hashOf(6))).found).toBe("inactive")
      }),
    )
  })

/** The SessionOwners of one store after another over `stores`, as the contract takes it. */
export const ownersFromStores = <E>(stores: Layer.Layer<SessionStore | UserRepository | AuditLog | Transactions, E>) =>
  Layer.provideMerge(SessionOwners.fromStores, stores)
