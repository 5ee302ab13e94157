import { describe, expect, it } from "@effect/vitest"
import { Array as Arr, Data, Deferred, Effect, Exit, Fiber, type Layer, Option, TestClock } from "effect"
import type { AuditEvent } from "../audit/AuditEvent.js"
import { AuditLog } from "../audit/AuditLog.js"
import { Transactions } from "../Transactions.js"
import { type StoredUser, UserRepository } from "../users/UserRepository.js"
import { anAuditEvent } from "./AuditLogContract.js"
import { aStoredUser } from "./fixtures.js"

const START = Date.parse("2026-01-05T09:00:00.000Z")
const FIBERS = 20

/** What a use case may fail with: passed on as it is. */
class Refused extends Data.TaggedError("Refused")<{ readonly step: string }> {}

export interface TransactionsOptions {
  /**
   * Whether a failure undoes the writes made before it (a SQL store). A store that cannot roll
   * back (memory) is held to less: a failure before a write leaves nothing of it.
   */
  readonly rollsBack: boolean
}

type Services = Transactions | AuditLog | UserRepository

const atomically = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Transactions, (transactions) => transactions.atomically(effect))
const record = (event: AuditEvent) => Effect.flatMap(AuditLog, (log) => log.record(event))
const listed = Effect.flatMap(AuditLog, (log) => log.list({ limit: 1000 })).pipe(
  Effect.map((events) => events.map((event) => event.id).sort()),
)
const idsOf = (events: ReadonlyArray<AuditEvent>) => events.map((event) => event.id).sort()
const events = (n: number) => Effect.all(Arr.makeBy(n, () => anAuditEvent()))
const one = anAuditEvent()
const two = Effect.all([anAuditEvent(), anAuditEvent()])
const three = Effect.all([anAuditEvent(), anAuditEvent(), anAuditEvent()])
const insert = (stored: StoredUser) => Effect.orDie(Effect.flatMap(UserRepository, (users) => users.insert(stored)))
const isStored = (stored: StoredUser) =>
  Effect.flatMap(UserRepository, (users) => Effect.map(users.findById(stored.user.id), Option.isSome))

/**
 * The specification of Transactions, through the writes of two stores it must cover. `layer` gives
 * Transactions, an AuditLog and a UserRepository on one storage, built afresh for every test.
 */
export const transactionsContract = (
  name: string,
  layer: Layer.Layer<Services, unknown>,
  options: TransactionsOptions,
) =>
  describe(`Transactions contract: ${name}`, () => {
    const test = (title: string, body: Effect.Effect<void, never, Services>) =>
      it.effect(title, () => Effect.provide(Effect.andThen(TestClock.setTime(START), body), layer), 60_000)

    test(
      "keeps every write of an effect that succeeds, and answers its value",
      Effect.gen(function* () {
        const [first, second] = yield* two
        const answer = yield* atomically(Effect.as(Effect.andThen(record(first), record(second)), "done"))
        expect(answer).toBe("done")
        expect(yield* listed).toEqual(idsOf([first, second]))
      }),
    )

    test(
      "passes the effect's failure on as it is, and leaves nothing of an effect that fails before writing",
      Effect.gen(function* () {
        const event = yield* one
        const exit = yield* Effect.exit(atomically(Effect.andThen(new Refused({ step: "check" }), record(event))))
        expect(exit).toEqual(Exit.fail(new Refused({ step: "check" })))
        expect(yield* listed).toEqual([])
      }),
    )

    test(
      "runs nested atomically blocks: the writes of both are kept",
      Effect.gen(function* () {
        const [outer, inner, after] = yield* three
        const answer = yield* atomically(
          Effect.gen(function* () {
            yield* record(outer)
            const nested = yield* atomically(Effect.as(record(inner), 42))
            yield* record(after)
            return nested
          }),
        )
        expect(answer).toBe(42)
        expect(yield* listed).toEqual(idsOf([outer, inner, after]))
      }),
    )

    test(
      `keeps the writes of ${FIBERS} blocks run at once, each whole`,
      Effect.gen(function* () {
        const pairs = yield* Effect.all(Arr.makeBy(FIBERS, () => events(2)))
        yield* Effect.all(
          pairs.map((pair) => atomically(Effect.forEach(pair, record, { discard: true }))),
          { concurrency: "unbounded" },
        )
        expect(yield* listed).toEqual(idsOf(pairs.flat()))
      }),
    )

    // An explicit opt-out, not a skip: a store that cannot roll back (memory) has no such cases.
    if (options.rollsBack)
      describe("rolling back", () => {
        test(
          "leaves nothing of the writes before a failure: neither the account nor its event",
          Effect.gen(function* () {
            const event = yield* one
            const stored = aStoredUser()
            const exit = yield* Effect.exit(
              atomically(
                Effect.gen(function* () {
                  yield* insert(stored)
                  yield* record(event)
                  return yield* new Refused({ step: "after the writes" })
                }),
              ),
            )
            expect(exit).toEqual(Exit.fail(new Refused({ step: "after the writes" })))
            expect(yield* listed).toEqual([])
            expect(yield* isStored(stored)).toBe(false)
          }),
        )

        test(
          "leaves nothing of the writes before a defect",
          Effect.gen(function* () {
            const event = yield* one
            const exit = yield* Effect.exit(atomically(Effect.andThen(record(event), Effect.dieMessage("a bug"))))
            expect(Exit.isFailure(exit)).toBe(true)
            expect(yield* listed).toEqual([])
          }),
        )

        test(
          "leaves nothing of the writes of an interrupted block",
          Effect.gen(function* () {
            const event = yield* one
            const written = yield* Deferred.make<void>()
            const fiber = yield* Effect.fork(
              atomically(
                Effect.andThen(record(event), Effect.andThen(Deferred.succeed(written, undefined), Effect.never)),
              ),
            )
            yield* Deferred.await(written)
            yield* Fiber.interrupt(fiber)
            expect(yield* listed).toEqual([])
          }),
        )

        test(
          "undoes only the inner writes when an inner block fails and the outer one goes on",
          Effect.gen(function* () {
            const [outer, inner, after] = yield* three
            yield* atomically(
              Effect.gen(function* () {
                yield* record(outer)
                const exit = yield* Effect.exit(
                  atomically(Effect.andThen(record(inner), new Refused({ step: "inner" }))),
                )
                expect(exit).toEqual(Exit.fail(new Refused({ step: "inner" })))
                yield* record(after)
              }),
            )
            expect(yield* listed).toEqual(idsOf([outer, after]))
          }),
        )

        test(
          "undoes the writes of an inner block that succeeded when the outer one fails",
          Effect.gen(function* () {
            const [outer, inner] = yield* two
            const exit = yield* Effect.exit(
              atomically(
                Effect.gen(function* () {
                  yield* record(outer)
                  yield* atomically(record(inner))
                  return yield* new Refused({ step: "outer" })
                }),
              ),
            )
            expect(Exit.isFailure(exit)).toBe(true)
            expect(yield* listed).toEqual([])
          }),
        )

        test(
          `keeps exactly the writes of the blocks that succeed when ${FIBERS} run at once and half fail`,
          Effect.gen(function* () {
            const pairs = yield* Effect.all(Arr.makeBy(FIBERS, () => events(2)))
            const exits = yield* Effect.all(
              pairs.map((pair, i) =>
                Effect.exit(
                  atomically(
                    Effect.andThen(
                      Effect.forEach(pair, record, { discard: true }),
                      i % 2 === 0 ? Effect.void : new Refused({ step: `block ${i}` }),
                    ),
                  ),
                ),
              ),
              { concurrency: "unbounded" },
            )
            expect(exits.filter(Exit.isSuccess)).toHaveLength(FIBERS / 2)
            expect(yield* listed).toEqual(idsOf(pairs.filter((_, i) => i % 2 === 0).flat()))
          }),
        )
      })
  })
