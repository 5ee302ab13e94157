import { describe, expect } from "@effect/vitest"
import { DateTime, Duration, Effect, Exit, type Layer, Option, TestClock } from "effect"
import { generateSessionId, Session } from "../sessions/Session.js"
import { Rotation, SessionStore } from "../sessions/SessionStore.js"
import type { UserRepository } from "../users/UserRepository.js"
import { sessionRacesContract } from "./SessionRacesContract.js"
import {
  aTokenHash,
  aUser,
  findLive,
  listLive,
  login,
  purge,
  revoke,
  revokeAll,
  rotate,
  rules,
  START,
  sessionStoreTest,
  unknown,
  usedNow,
} from "./SessionStoreSupport.js"

export { aSession, aTokenHash, login as aLogin } from "./SessionStoreSupport.js"

/**
 * The specification of a SessionStore. `layer` gives the store and a UserRepository on the same
 * storage, built afresh for every test. Time is the test's Clock (a TestClock, set to START): an
 * adapter must take the current time from Clock, whatever clock its store has.
 */
export const sessionStoreContract = (name: string, layer: Layer.Layer<SessionStore | UserRepository, unknown>) =>
  describe(`SessionStore contract: ${name}`, () => {
    const test = sessionStoreTest(layer)

    describe("opening and finding", () => {
      test(
        "finds an opened session by id with every field as stored, and nothing for an unknown id",
        Effect.gen(function* () {
          const user = yield* aUser
          const { session } = yield* login(user)
          const { session: anonymous } = yield* login(user, { userAgent: null, address: "2001:db8::1" })
          expect(yield* findLive(session.id)).toEqual(Option.some(session))
          expect(yield* findLive(anonymous.id)).toEqual(Option.some(anonymous))
          expect(yield* findLive(yield* generateSessionId)).toEqual(Option.none())
        }),
      )

      test(
        "lists a user's live sessions, most recently used first then by id, and none of another user's",
        Effect.gen(function* () {
          const [ada, grace] = [yield* aUser, yield* aUser]
          const first = yield* login(ada)
          const twins = [yield* login(ada), yield* login(ada)].map((l) => l.session)
          yield* TestClock.adjust("1 minute")
          const latest = yield* login(ada)
          const theirs = yield* login(grace)
          yield* TestClock.adjust("1 minute")
          yield* rotate(first.token, aTokenHash())
          const byId = [...twins].sort((a, b) => (a.id < b.id ? -1 : 1))
          expect(yield* listLive(ada)).toEqual([yield* usedNow(first.session), latest.session, ...byId])
          expect(yield* listLive(grace)).toEqual([theirs.session])
          expect(yield* listLive(yield* aUser)).toEqual([])
        }),
      )

      test(
        "refuses a session id or a token already stored, and changes nothing",
        Effect.gen(function* () {
          const store = yield* SessionStore
          const user = yield* aUser
          const { session, token } = yield* login(user)
          const again = new Session({ ...session, address: "198.51.100.1" })
          expect(Exit.isFailure(yield* Effect.exit(store.open(again, aTokenHash())))).toBe(true)
          const other = new Session({ ...session, id: yield* generateSessionId })
          expect(Exit.isFailure(yield* Effect.exit(store.open(other, token)))).toBe(true)
          expect(yield* listLive(user)).toEqual([session])
        }),
      )
    })

    describe("rotation", () => {
      test(
        "rotates the current token: its successor becomes current, last use and idle expiry move, absolute expiry does not",
        Effect.gen(function* () {
          const { session, token } = yield* login(yield* aUser)
          const [second, third] = [aTokenHash(), aTokenHash()]
          yield* TestClock.adjust("1 hour")
          const rotated = yield* usedNow(session)
          expect(yield* rotate(token, second)).toEqual(Rotation.Rotated({ session: rotated }))
          expect(yield* findLive(session.id)).toEqual(Option.some(rotated))
          yield* TestClock.adjust("2 days")
          const again = yield* usedNow(session)
          expect(yield* rotate(second, third)).toEqual(Rotation.Rotated({ session: again }))
          expect(again.absoluteExpiresAt).toEqual(session.absoluteExpiresAt)
        }),
      )

      test(
        "answers a token replayed within the grace window with the successor recorded, changing nothing",
        Effect.gen(function* () {
          const { session, token } = yield* login(yield* aUser)
          const [successor, another] = [aTokenHash(), aTokenHash()]
          yield* rotate(token, successor)
          const rotated = yield* usedNow(session)
          yield* TestClock.adjust(Duration.millis(9_999))
          expect(yield* rotate(token, successor)).toEqual(
            Rotation.Replayed({ session: rotated, successor, retiredAt: rotated.lastUsedAt }),
          )
          // A retired token never gets a second successor, whatever the caller offers.
          expect(yield* rotate(token, another)).toEqual(
            Rotation.Replayed({ session: rotated, successor, retiredAt: rotated.lastUsedAt }),
          )
          expect(yield* rotate(another, aTokenHash())).toEqual(unknown)
          expect(yield* findLive(session.id)).toEqual(Option.some(rotated))
          expect((yield* rotate(successor, aTokenHash()))._tag).toBe("Rotated")
        }),
      )

      test(
        "takes a retired token presented after the grace window as stolen: revokes its session, and only it",
        Effect.gen(function* () {
          const user = yield* aUser
          const { session, token } = yield* login(user)
          const other = yield* login(user)
          const successor = aTokenHash()
          yield* rotate(token, successor)
          const rotated = yield* usedNow(session)
          yield* TestClock.adjust("10 seconds")
          expect(yield* rotate(token, successor)).toEqual(Rotation.Reused({ session: rotated }))
          expect(yield* findLive(session.id)).toEqual(Option.none())
          expect(yield* rotate(successor, aTokenHash())).toEqual(unknown)
          expect(yield* rotate(token, successor)).toEqual(unknown)
          expect(yield* listLive(user)).toEqual([other.session])
        }),
      )

      test(
        "knows no token it never stored, nor one of a revoked session",
        Effect.gen(function* () {
          const user = yield* aUser
          const { session, token } = yield* login(user)
          expect(yield* rotate(aTokenHash(), aTokenHash())).toEqual(unknown)
          yield* revoke(user, session.id)
          expect(yield* rotate(token, aTokenHash())).toEqual(unknown)
        }),
      )
    })

    describe("expiry", () => {
      test(
        "ends a session left idle for the idle timeout: live 1 ms before, gone at it",
        Effect.gen(function* () {
          const user = yield* aUser
          const { session, token } = yield* login(user)
          yield* TestClock.adjust(Duration.subtract(rules.idleTimeout, Duration.millis(1)))
          expect(yield* findLive(session.id)).toEqual(Option.some(session))
          expect(yield* listLive(user)).toEqual([session])
          yield* TestClock.adjust("1 millis")
          expect(yield* findLive(session.id)).toEqual(Option.none())
          expect(yield* listLive(user)).toEqual([])
          expect(yield* rotate(token, aTokenHash())).toEqual(unknown)
          expect(yield* revoke(user, session.id)).toBe(false)
          expect(yield* revokeAll(user)).toBe(0)
        }),
      )

      test(
        "keeps a session used within each idle timeout alive, but never past its absolute lifetime",
        Effect.gen(function* () {
          const { session, token } = yield* login(yield* aUser)
          let current = token
          for (let day = 6; day < 30; day += 6) {
            yield* TestClock.adjust("6 days")
            const next = aTokenHash()
            expect((yield* rotate(current, next))._tag).toBe("Rotated")
            current = next
          }
          // Day 24, last used now: idle until day 31, but the login was 30 days ago at day 30.
          yield* TestClock.adjust(Duration.subtract(Duration.days(6), Duration.millis(1)))
          expect(Option.isSome(yield* findLive(session.id))).toBe(true)
          yield* TestClock.adjust("1 millis")
          expect(yield* findLive(session.id)).toEqual(Option.none())
          expect(yield* rotate(current, aTokenHash())).toEqual(unknown)
        }),
      )
    })

    describe("revocation", () => {
      test(
        "revokes one of the user's live sessions, once; another user's or an unknown id is not found and stays as it is",
        Effect.gen(function* () {
          const [ada, grace] = [yield* aUser, yield* aUser]
          const [mine, kept, theirs] = [yield* login(ada), yield* login(ada), yield* login(grace)]
          expect(yield* revoke(grace, mine.session.id)).toBe(false)
          expect(yield* findLive(mine.session.id)).toEqual(Option.some(mine.session))
          expect(yield* revoke(ada, theirs.session.id)).toBe(false)
          expect(yield* revoke(ada, yield* generateSessionId)).toBe(false)
          expect(yield* revoke(ada, mine.session.id)).toBe(true)
          expect(yield* revoke(ada, mine.session.id)).toBe(false)
          expect(yield* findLive(mine.session.id)).toEqual(Option.none())
          expect(yield* rotate(mine.token, aTokenHash())).toEqual(unknown)
          expect(yield* listLive(ada)).toEqual([kept.session])
          expect(yield* listLive(grace)).toEqual([theirs.session])
        }),
      )

      test(
        "revokes every live session of the user but the one kept, counting only those it revoked",
        Effect.gen(function* () {
          const [ada, grace] = [yield* aUser, yield* aUser]
          const [first, kept, third] = [yield* login(ada), yield* login(ada), yield* login(ada)]
          const revoked = yield* login(ada)
          yield* revoke(ada, revoked.session.id)
          yield* login(ada, { idleExpiresAt: DateTime.unsafeMake(START + 60_000) })
          const theirs = yield* login(grace)
          yield* TestClock.adjust("1 minute")
          expect(yield* revokeAll(ada, kept.session.id)).toBe(2)
          expect(yield* listLive(ada)).toEqual([kept.session])
          expect(yield* rotate(first.token, aTokenHash())).toEqual(unknown)
          expect(yield* rotate(third.token, aTokenHash())).toEqual(unknown)
          // Keeping another user's session keeps nothing of this one's.
          expect(yield* revokeAll(grace, kept.session.id)).toBe(1)
          expect(yield* revokeAll(ada)).toBe(1)
          expect(yield* revokeAll(ada)).toBe(0)
          expect(yield* findLive(theirs.session.id)).toEqual(Option.none())
        }),
      )
    })

    describe("purge", () => {
      test(
        "deletes revoked and expired sessions with their tokens, keeps live ones, and answers how many",
        Effect.gen(function* () {
          const user = yield* aUser
          const live = yield* login(user)
          const revoked = yield* login(user)
          yield* revoke(user, revoked.session.id)
          yield* login(user, { idleExpiresAt: DateTime.unsafeMake(START + 60_000) })
          yield* login(user, { absoluteExpiresAt: DateTime.unsafeMake(START + 60_000) })
          const successor = aTokenHash()
          yield* rotate(live.token, successor)
          yield* TestClock.adjust("1 minute")
          expect(yield* purge()).toBe(3)
          expect(yield* purge()).toBe(0)
          expect(yield* listLive(user)).toEqual([live.session])
          expect(yield* rotate(revoked.token, aTokenHash())).toEqual(unknown)
          // A live session keeps its retired tokens: reuse is still caught.
          yield* TestClock.adjust("10 seconds")
          expect((yield* rotate(live.token, successor))._tag).toBe("Reused")
        }),
      )

      test(
        "keeps a session that ended less than olderThan ago",
        Effect.gen(function* () {
          const user = yield* aUser
          const { session } = yield* login(user)
          yield* revoke(user, session.id)
          yield* TestClock.adjust(Duration.subtract(Duration.hours(2), Duration.millis(1)))
          expect(yield* purge("2 hours")).toBe(0)
          yield* TestClock.adjust("1 millis")
          expect(yield* purge("2 hours")).toBe(1)
        }),
      )
    })

    sessionRacesContract(test)
  })
