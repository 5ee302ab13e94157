import { describe, expect, it } from "@effect/vitest"
import { Array as Arr, DateTime, Effect, Exit, type Layer, TestClock } from "effect"
import { AuditEvent, type AuditEventId, generateAuditEventId } from "../audit/AuditEvent.js"
import { AuditLog, type AuditQuery } from "../audit/AuditLog.js"
import { UserId } from "../users/User.js"

/** When every test starts: a realistic date, so that the stores hold realistic timestamps. */
const START = Date.parse("2026-01-05T09:00:00.000Z")
const FIBERS = 100
const ROUNDS = 8
/** The longest user agent a store keeps, in code points; a longer one is kept cut to it. */
export const MAX_STORED_USER_AGENT = 512

/** An event now (the Clock's time), its id a UUID v7 of now; override what a test is about. */
export const anAuditEvent = (overrides: Partial<ConstructorParameters<typeof AuditEvent>[0]> = {}) =>
  Effect.gen(function* () {
    const at = yield* DateTime.now
    return new AuditEvent({
      id: yield* generateAuditEventId,
      at,
      type: "logged_in",
      actor: null,
      target: null,
      address: "203.0.113.7",
      userAgent: "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
      detail: null,
      ...overrides,
    })
  })

const aUserId = () => UserId.make(crypto.randomUUID())
const record = (event: AuditEvent) => Effect.flatMap(AuditLog, (log) => log.record(event))
const list = (query: Partial<AuditQuery> = {}) => Effect.flatMap(AuditLog, (log) => log.list({ limit: 1000, ...query }))
const purge = (before: DateTime.Utc) => Effect.flatMap(AuditLog, (log) => log.purge(before))
const ids = (events: ReadonlyArray<AuditEvent>) => events.map((event) => event.id)
/** Newest first, as a store answers: by id, compared as lower-case text (a uuid's own order). */
const newestFirst = (events: ReadonlyArray<AuditEvent>) =>
  [...events].sort((a, b) => (a.id.toLowerCase() < b.id.toLowerCase() ? 1 : -1))

/** Records `count` events, a few to each millisecond (ids of one millisecond sort randomly), in no order. */
const recordMany = (count: number, overrides: Partial<ConstructorParameters<typeof AuditEvent>[0]> = {}) =>
  Effect.gen(function* () {
    const events: Array<AuditEvent> = []
    for (let i = 0; i < count; i++) {
      if (i % 3 === 0) yield* TestClock.adjust("1 millis")
      events.push(yield* anAuditEvent(overrides))
    }
    const shuffled = [...events].sort(() => Math.random() - 0.5)
    yield* Effect.forEach(shuffled, record, { discard: true })
    return newestFirst(events)
  })

/** Every event, walked a page of `size` at a time with `before`. */
const walk = (size: number, query: Partial<AuditQuery> = {}) =>
  Effect.gen(function* () {
    const seen: Array<AuditEvent> = []
    let before: AuditEventId | undefined
    for (;;) {
      const page = yield* list({ ...query, limit: size, before })
      seen.push(...page)
      if (page.length < size) return seen
      before = page[page.length - 1]?.id
    }
  })

/**
 * The effects all at once, each fiber yielding every 16 steps (Effect's default is 2048) after
 * `skew(i)` steps of its own, so that its yields fall at another point of the call: in some race
 * a fiber is caught between an in-memory store's read and its write, as a database's statements
 * would interleave. Many fibers making one call: the same skew for all, another each round (the
 * first to arrive decides). Different calls: a different skew for each fiber.
 */
const all = <A, E, R>(effects: ReadonlyArray<Effect.Effect<A, E, R>>, skew: (i: number) => number) =>
  Effect.all(
    effects.map((effect, i) => Effect.andThen(steps(skew(i)), effect)),
    { concurrency: "unbounded" },
  ).pipe(Effect.withMaxOpsBeforeYield(16))
/** `n` steps that do nothing: a fiber starts its call later than another by them. */
const steps = (n: number) => Effect.forEach(Array.from({ length: n }), () => Effect.void, { discard: true })

/**
 * The specification of an AuditLog. `layer` is built afresh for every test, so each starts from
 * an empty log. Events carry their own time; the tests set the Clock (a TestClock, from START) only
 * to give ids the time of their events.
 */
export const auditLogContract = (name: string, layer: Layer.Layer<AuditLog, unknown>) =>
  describe(`AuditLog contract: ${name}`, () => {
    const test = (title: string, body: Effect.Effect<void, never, AuditLog>) =>
      it.effect(title, () => Effect.provide(Effect.andThen(TestClock.setTime(START), body), layer), 60_000)

    test(
      "an empty log lists nothing and purges nothing",
      Effect.gen(function* () {
        expect(yield* list()).toEqual([])
        expect(yield* purge(DateTime.unsafeMake(START + 1))).toBe(0)
      }),
    )

    test(
      "lists a recorded event with every field as given, and one with every optional field empty",
      Effect.gen(function* () {
        const full = yield* anAuditEvent({
          type: "password_changed",
          actor: aUserId(),
          target: aUserId(),
          address: "2001:db8::1",
          detail: "by_admin",
        })
        yield* TestClock.adjust("1 millis")
        const bare = yield* anAuditEvent({ type: "login_failed", address: null, userAgent: null })
        yield* record(full)
        yield* record(bare)
        expect(yield* list()).toEqual([bare, full])
      }),
    )

    test(
      "lists newest first by id, at most `limit`; none for a limit of 0",
      Effect.gen(function* () {
        const events = yield* recordMany(10)
        expect(ids(yield* list())).toEqual(ids(events))
        expect(ids(yield* list({ limit: 3 }))).toEqual(ids(events.slice(0, 3)))
        expect(yield* list({ limit: 0 })).toEqual([])
      }),
    )

    test(
      "refuses a negative limit",
      Effect.gen(function* () {
        yield* recordMany(2)
        expect(Exit.isFailure(yield* Effect.exit(list({ limit: -1 })))).toBe(true)
      }),
    )

    test(
      "pages with `before`: walking from the newest, every event comes exactly once, in order",
      Effect.gen(function* () {
        const events = yield* recordMany(25)
        for (const size of [1, 4, 5, 30]) expect(ids(yield* walk(size))).toEqual(ids(events))
        // An id that no event has pages too: the events whose ids sort before it.
        const middle = yield* anAuditEvent({ at: events[12]?.at ?? DateTime.unsafeMake(START) })
        const older = events.filter((event) => event.id.toLowerCase() < middle.id.toLowerCase())
        expect(ids(yield* list({ before: middle.id }))).toEqual(ids(older))
      }),
    )

    test(
      "filters by target: only the events about that account",
      Effect.gen(function* () {
        const [ada, grace] = [aUserId(), aUserId()]
        const hers = yield* recordMany(4, { target: ada })
        yield* recordMany(3, { target: grace, actor: ada })
        yield* recordMany(2, { target: null, actor: ada })
        expect(ids(yield* list({ target: ada }))).toEqual(ids(hers))
        expect(yield* list({ target: aUserId() })).toEqual([])
        expect(ids(yield* walk(3, { target: ada }))).toEqual(ids(hers))
      }),
    )

    test(
      "filters by types: events of any of those given; an empty list selects none",
      Effect.gen(function* () {
        const logins = yield* recordMany(3, { type: "logged_in" })
        const failures = yield* recordMany(3, { type: "login_failed" })
        yield* recordMany(3, { type: "throttled" })
        expect(ids(yield* list({ types: ["login_failed"] }))).toEqual(ids(failures))
        expect(ids(yield* list({ types: ["logged_in", "login_failed"] }))).toEqual(
          ids(newestFirst([...logins, ...failures])),
        )
        expect(yield* list({ types: ["deleted"] })).toEqual([])
        expect(yield* list({ types: [] })).toEqual([])
      }),
    )

    test(
      "filters by time: `since` inclusive, `until` exclusive",
      Effect.gen(function* () {
        const first = yield* recordMany(3)
        yield* TestClock.adjust("1 hour")
        const t1 = yield* DateTime.now
        const second = yield* recordMany(3)
        yield* TestClock.adjust("1 hour")
        const t2 = yield* DateTime.now
        const third = yield* recordMany(3)
        // The events of the first millisecond of each batch are at t + 1 ms: put one exactly at t.
        const atT1 = yield* anAuditEvent({ at: t1 })
        const atT2 = yield* anAuditEvent({ at: t2 })
        yield* record(atT1)
        yield* record(atT2)
        expect(ids(yield* list({ since: t1 }))).toEqual(ids(newestFirst([...second, ...third, atT1, atT2])))
        expect(ids(yield* list({ until: t1 }))).toEqual(ids(first))
        expect(ids(yield* list({ since: t1, until: t2 }))).toEqual(ids(newestFirst([...second, atT1])))
        expect(yield* list({ since: t2, until: t2 })).toEqual([])
      }),
    )

    test(
      "combines every filter given",
      Effect.gen(function* () {
        const ada = aUserId()
        yield* recordMany(3, { target: ada, type: "logged_in" })
        const since = yield* DateTime.now
        const wanted = yield* recordMany(6, { target: ada, type: "login_failed" })
        yield* recordMany(3, { target: aUserId(), type: "login_failed" })
        yield* recordMany(3, { target: ada, type: "throttled" })
        const before = wanted[1]?.id
        expect(ids(yield* list({ target: ada, types: ["login_failed"], since, before, limit: 3 }))).toEqual(
          ids(wanted.slice(2, 5)),
        )
      }),
    )

    test(
      "purges the events recorded before `before`, keeps those at it and after, and answers how many",
      Effect.gen(function* () {
        const old = yield* recordMany(5)
        yield* TestClock.adjust("1 day")
        const cutoff = yield* DateTime.now
        const atCutoff = yield* anAuditEvent()
        yield* record(atCutoff)
        const recent = yield* recordMany(4)
        expect(yield* purge(DateTime.subtract(cutoff, { days: 2 }))).toBe(0)
        expect(yield* purge(cutoff)).toBe(old.length)
        expect(yield* purge(cutoff)).toBe(0)
        expect(ids(yield* list())).toEqual(ids(newestFirst([...recent, atCutoff])))
      }),
    )

    test(
      "refuses an id already recorded, and keeps the first event",
      Effect.gen(function* () {
        const first = yield* anAuditEvent()
        yield* record(first)
        const again = new AuditEvent({ ...first, type: "logged_out" })
        expect(Exit.isFailure(yield* Effect.exit(record(again)))).toBe(true)
        expect(yield* list()).toEqual([first])
      }),
    )

    test(
      `keeps at most ${MAX_STORED_USER_AGENT} code points of a user agent`,
      Effect.gen(function* () {
        // An astral character (two UTF-16 units) on each side of the cut.
        const agent = `${"a".repeat(MAX_STORED_USER_AGENT - 1)}😀😀${"b".repeat(5000)}`
        const event = yield* anAuditEvent({ userAgent: agent })
        const exact = yield* anAuditEvent({ userAgent: "c".repeat(MAX_STORED_USER_AGENT) })
        yield* record(event)
        yield* record(exact)
        const stored = yield* list()
        const kept = stored.find((e) => e.id === event.id)?.userAgent
        expect(kept).toBe(`${"a".repeat(MAX_STORED_USER_AGENT - 1)}😀`)
        expect(stored.find((e) => e.id === exact.id)).toEqual(exact)
      }),
    )

    describe("races", () => {
      test(
        `keeps each of ${FIBERS} events recorded at once, listed exactly once, in each of ${ROUNDS} rounds`,
        Effect.gen(function* () {
          const recorded: Array<AuditEvent> = []
          for (let round = 0; round < ROUNDS; round++) {
            const events = yield* Effect.all(Arr.makeBy(FIBERS, () => anAuditEvent()))
            yield* all(events.map(record), () => round)
            recorded.push(...events)
            expect(ids(yield* list({ limit: recorded.length }))).toEqual(ids(newestFirst(recorded)))
          }
          expect(ids(yield* walk(7))).toEqual(ids(newestFirst(recorded)))
        }),
      )

      test(
        "purges every old event exactly once while new ones are recorded and other purges run",
        Effect.gen(function* () {
          const old = yield* recordMany(30)
          yield* TestClock.adjust("1 hour")
          const cutoff = yield* DateTime.now
          const recent = yield* Effect.all(Arr.makeBy(30, () => anAuditEvent()))
          const none: ReadonlyArray<number> = []
          // Records spread over the time the purges take, purges started a step apart: some purge
          // yields between its read and its write while a record lands.
          const recording = recent.map((event, i) => Effect.as(Effect.andThen(steps(i * 2), record(event)), none))
          const purges = Arr.makeBy(16, (i) =>
            Effect.andThen(
              steps(i),
              Effect.map(purge(cutoff), (n) => [n]),
            ),
          )
          const counts = yield* all(
            [...Arr.zip(purges, recording).flat(), ...recording.slice(purges.length)],
            (i) => i % 16,
          )
          expect(counts.flat().reduce((a, b) => a + b, 0)).toBe(old.length)
          expect(ids(yield* list())).toEqual(ids(newestFirst(recent)))
        }),
      )
    })
  })
