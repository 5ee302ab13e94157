import { describe, expect } from "@effect/vitest"
import { Array as Arr, DateTime, Effect, Exit, Option, TestClock } from "effect"
import { generateSessionId, type RefreshTokenHash, Session, type SessionId } from "../sessions/Session.js"
import { type Rotation, SessionStore } from "../sessions/SessionStore.js"
import type { UserId } from "../users/User.js"
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
  type SessionStoreTest,
  START,
  unknown,
  usedNow,
} from "./SessionStoreSupport.js"

const FIBERS = 50

const tagsOf = (rotations: ReadonlyArray<Rotation>) => rotations.map((r) => r._tag).sort()
/** What one of several different operations raced together answered. */
type Answer = { readonly rotation: Rotation } | { readonly revoked: boolean } | { readonly purged: number }
const rotating = (
  presented: RefreshTokenHash,
  successor: RefreshTokenHash,
): Effect.Effect<Answer, never, SessionStore> => Effect.map(rotate(presented, successor), (rotation) => ({ rotation }))
const revoking = (userId: UserId, id: SessionId): Effect.Effect<Answer, never, SessionStore> =>
  Effect.map(revoke(userId, id), (revoked) => ({ revoked }))
const purging: Effect.Effect<Answer, never, SessionStore> = Effect.map(purge(), (purged) => ({ purged }))
const rotationsIn = (answers: ReadonlyArray<Answer>) => answers.flatMap((a) => ("rotation" in a ? [a.rotation] : []))

/**
 * The effects all at once, each fiber yielding every 16 steps (Effect's default is 2048): an
 * in-memory store whose read and write are two steps (`Ref.get`, then `Ref.set`) is caught
 * interleaved, as a database's statements would be (at 32 it was not). At 8 or fewer, a fiber
 * spends its steps on resuming from the yield and never advances.
 */
const all = <A, E, R>(effects: ReadonlyArray<Effect.Effect<A, E, R>>) =>
  Effect.all(effects, { concurrency: "unbounded" }).pipe(Effect.withMaxOpsBeforeYield(16))

/** Every write that reads then decides, raced by many fibers at one instant. */
export const sessionRacesContract = (test: SessionStoreTest) =>
  describe("races", () => {
    test(
      `opens one session when ${FIBERS} are opened at once with one first token: the rest fail and leave nothing`,
      Effect.gen(function* () {
        const user = yield* aUser
        // A login's session as a template; the token it opened with is not the one raced.
        const { session: template } = yield* login(user)
        const token = aTokenHash()
        const sessions = yield* Effect.forEach(Arr.range(1, FIBERS), () =>
          Effect.map(generateSessionId, (id) => new Session({ ...template, id })),
        )
        const exits = yield* all(
          sessions.map((session) => Effect.exit(Effect.flatMap(SessionStore, (store) => store.open(session, token)))),
        )
        const opened = sessions.filter((_, i) => exits[i] !== undefined && Exit.isSuccess(exits[i]))
        expect(opened).toHaveLength(1)
        expect((yield* listLive(user)).map((session) => session.id).sort()).toEqual(
          [template.id, ...opened.map((session) => session.id)].sort(),
        )
        // The token is the winner's.
        const rotation = yield* rotate(token, aTokenHash())
        expect(rotation._tag === "Rotated" && rotation.session.id).toBe(opened[0]?.id)
      }),
    )

    test(
      `gives a token one successor when ${FIBERS} present it at once: one Rotated, the rest Replayed`,
      Effect.gen(function* () {
        const { session, token } = yield* login(yield* aUser)
        const successor = aTokenHash()
        const rotations = yield* all(Arr.replicate(rotate(token, successor), FIBERS))
        const rotated = yield* usedNow(session)
        expect(rotations.filter((r) => r._tag === "Rotated")).toEqual([{ _tag: "Rotated", session: rotated }])
        expect(rotations.filter((r) => r._tag === "Replayed")).toEqual(
          Arr.replicate({ _tag: "Replayed", session: rotated, successor, retiredAt: rotated.lastUsedAt }, FIBERS - 1),
        )
        expect((yield* rotate(successor, aTokenHash()))._tag).toBe("Rotated")
      }),
    )

    test(
      `records one successor when ${FIBERS} present a token with different ones: the rest learn the winner's`,
      Effect.gen(function* () {
        const { token } = yield* login(yield* aUser)
        const successors = Arr.makeBy(FIBERS, aTokenHash)
        const rotations = yield* all(successors.map((successor) => rotate(token, successor)))
        const winners = successors.filter((_, i) => rotations[i]?._tag === "Rotated")
        expect(winners).toHaveLength(1)
        const replayed = rotations.flatMap((r) => (r._tag === "Replayed" ? [r.successor] : []))
        expect(replayed).toEqual(Arr.replicate(winners[0], FIBERS - 1))
        // Only the winner became current: every other candidate is unknown to the store.
        const next = yield* all(successors.map((successor) => rotate(successor, aTokenHash())))
        expect(tagsOf(next)).toEqual(["Rotated", ...Arr.replicate("Unknown", FIBERS - 1)])
      }),
    )

    test(
      `revokes a session once when ${FIBERS} present its stolen token at once: one Reused, the rest Unknown`,
      Effect.gen(function* () {
        const user = yield* aUser
        const { session, token } = yield* login(user)
        const successor = aTokenHash()
        yield* rotate(token, successor)
        yield* TestClock.adjust("10 seconds")
        const rotations = yield* all(Arr.replicate(rotate(token, successor), FIBERS))
        expect(tagsOf(rotations)).toEqual(["Reused", ...Arr.replicate("Unknown", FIBERS - 1)])
        expect(yield* findLive(session.id)).toEqual(Option.none())
        expect(yield* rotate(successor, aTokenHash())).toEqual(unknown)
      }),
    )

    test(
      "never leaves a live session or a working successor when rotations race revocations",
      Effect.gen(function* () {
        const user = yield* aUser
        const logins = yield* all(Arr.replicate(login(user), 25))
        const successors = logins.map(() => aTokenHash())
        const races = logins.flatMap(({ session, token }, i) => {
          const pair = [rotating(token, successors[i] ?? aTokenHash()), revoking(user, session.id)]
          return i % 2 === 0 ? pair : pair.reverse()
        })
        const answers = yield* all(races)
        // Live before the rotation and, rotated or not, after it: every revocation finds its session.
        expect(answers.flatMap((a) => ("revoked" in a ? [a.revoked] : []))).toEqual(Arr.replicate(true, 25))
        const unexpected = rotationsIn(answers).filter((r) => r._tag !== "Rotated" && r._tag !== "Unknown")
        expect(unexpected).toEqual([])
        expect(yield* listLive(user)).toEqual([])
        expect(tagsOf(yield* all(successors.map((s) => rotate(s, aTokenHash()))))).toEqual(Arr.replicate("Unknown", 25))
      }),
    )

    test(
      "revokes every session but the kept one when revokeAll races their rotations",
      Effect.gen(function* () {
        const user = yield* aUser
        const kept = yield* login(user)
        const logins = yield* all(Arr.replicate(login(user), 25))
        const successors = logins.map(() => aTokenHash())
        const keptSuccessor = aTokenHash()
        const rotations = [kept, ...logins].map(({ token }, i) =>
          Effect.as(rotate(token, i === 0 ? keptSuccessor : (successors[i - 1] ?? aTokenHash())), Option.none()),
        )
        // In the middle of the rotations: some land before it, some after.
        const revoking = Effect.map(revokeAll(user, kept.session.id), Option.some)
        const answers = yield* all([...rotations.slice(0, 13), revoking, ...rotations.slice(13)])
        expect(Arr.getSomes(answers)).toEqual([25])
        expect((yield* listLive(user)).map((s) => s.id)).toEqual([kept.session.id])
        expect(tagsOf(yield* all(successors.map((s) => rotate(s, aTokenHash()))))).toEqual(Arr.replicate("Unknown", 25))
        expect((yield* rotate(keptSuccessor, aTokenHash()))._tag).toBe("Rotated")
      }),
    )

    test(
      "revokes each session once when revocations race each other",
      Effect.gen(function* () {
        const user = yield* aUser
        const { session } = yield* login(user)
        const revoked = yield* all(Arr.replicate(revoke(user, session.id), FIBERS))
        expect(revoked.filter((r) => r)).toHaveLength(1)
        yield* all(Arr.replicate(login(user), 25))
        const counts = yield* all(Arr.replicate(revokeAll(user), 5))
        expect(counts.reduce((a, b) => a + b, 0)).toBe(25)
        expect(yield* listLive(user)).toEqual([])
      }),
    )

    test(
      "purges ended sessions while live ones are rotated, each exactly once",
      Effect.gen(function* () {
        const user = yield* aUser
        const live = yield* all(Arr.replicate(login(user), 25))
        const ended = yield* all(Arr.replicate(login(user, { idleExpiresAt: DateTime.unsafeMake(START + 60_000) }), 25))
        yield* TestClock.adjust("1 minute")
        const rotations = [...live, ...ended].map(({ token }) => rotating(token, aTokenHash()))
        const answers = yield* all([purging, ...rotations.slice(0, 25), purging, ...rotations.slice(25), purging])
        const purged = answers.flatMap((a) => ("purged" in a ? [a.purged] : []))
        expect(purged.reduce((a, b) => a + b, 0)).toBe(25)
        expect(tagsOf(rotationsIn(answers))).toEqual([...Arr.replicate("Rotated", 25), ...Arr.replicate("Unknown", 25)])
        expect(yield* listLive(user)).toHaveLength(25)
        expect(yield* purge()).toBe(0)
      }),
    )
  })
