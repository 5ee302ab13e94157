import { describe, expect, it } from "@effect/vitest"
import { Array as Arr, DateTime, Duration, Effect, Encoding, Exit, type Layer, Option } from "effect"
import { SigningKey, SigningKeyStore } from "../auth/SigningKeyStore.js"

const START = DateTime.unsafeMake("2026-01-05T09:00:00.000Z")
const ROTATION = Duration.days(30)
const PUBLICATION = Duration.minutes(16)
const FIBERS = 50
const ROUNDS = 8

const randomText = () => Encoding.encodeBase64Url(crypto.getRandomValues(new Uint8Array(32)))
const plus = (at: DateTime.Utc, millis: number) => DateTime.add(at, { millis })

/** A key created at `createdAt` that signs for 30 days and is published 16 minutes longer, never stored before. */
export const aSigningKey = (
  createdAt: DateTime.Utc,
  overrides: Partial<ConstructorParameters<typeof SigningKey>[0]> = {},
): SigningKey => {
  const signsUntil = DateTime.addDuration(createdAt, ROTATION)
  return new SigningKey({
    kid: randomText(),
    algorithm: "EdDSA",
    publicJwk: { kty: "OKP", crv: "Ed25519", x: randomText() },
    sealedPrivateKey: `v1.${randomText()}.${randomText()}`,
    createdAt,
    signsUntil,
    publishedUntil: DateTime.addDuration(signsUntil, PUBLICATION),
    ...overrides,
  })
}

const published = (now: DateTime.Utc) => Effect.flatMap(SigningKeyStore, (store) => store.published(now))
const current = (now: DateTime.Utc) => Effect.flatMap(SigningKeyStore, (store) => store.current(now))
const add = (candidate: SigningKey, now: DateTime.Utc) =>
  Effect.flatMap(SigningKeyStore, (store) => store.addIfNoneCurrent(candidate, now))
const purge = (now: DateTime.Utc) => Effect.flatMap(SigningKeyStore, (store) => store.purge(now))
const kids = (keys: ReadonlyArray<SigningKey>) => keys.map((key) => key.kid)

/** A key stored at START, and the one stored at the instant it stops signing. */
const twoGenerations = Effect.gen(function* () {
  const first = yield* add(aSigningKey(START), START)
  const second = yield* add(aSigningKey(first.signsUntil), first.signsUntil)
  return { first, second }
})

/**
 * The effects all at once, each fiber yielding every 16 steps (Effect's default is 2048) after
 * `skew` steps of its own: from one round to the next, the yields fall at a different point of
 * the call. In some round they fall between a memory store's read and its write, as a database's
 * statements would interleave (a store that reads, then writes in a second step, fails about one
 * round in seven; with no skew, each fiber ran its whole call in one slice and it passed).
 */
const all = <A, E, R>(effects: ReadonlyArray<Effect.Effect<A, E, R>>, skew: number) =>
  Effect.all(
    effects.map((effect) =>
      Effect.andThen(
        Effect.forEach(Arr.range(0, skew), () => Effect.void),
        effect,
      ),
    ),
    { concurrency: "unbounded" },
  ).pipe(Effect.withMaxOpsBeforeYield(16))

/**
 * The specification of a SigningKeyStore. `layer` is built afresh for every test, so each starts
 * from an empty store. Time is what the test passes in; the store reads no clock.
 */
export const signingKeyStoreContract = (name: string, layer: Layer.Layer<SigningKeyStore, unknown>) =>
  describe(`SigningKeyStore contract: ${name}`, () => {
    const test = (title: string, body: Effect.Effect<void, never, SigningKeyStore>) =>
      it.effect(title, () => Effect.provide(body, layer), 60_000)

    test(
      "an empty store has no current key, publishes none and purges none",
      Effect.gen(function* () {
        expect(yield* current(START)).toEqual(Option.none())
        expect(yield* published(START)).toEqual([])
        expect(yield* purge(START)).toBe(0)
      }),
    )

    test(
      "stores a candidate when no key signs, and answers it with every field as given",
      Effect.gen(function* () {
        const candidate = aSigningKey(START)
        expect(yield* add(candidate, START)).toEqual(candidate)
        expect(yield* current(START)).toEqual(Option.some(candidate))
        expect(yield* published(START)).toEqual([candidate])
      }),
    )

    test(
      "keeps the key that signs: a later candidate is not stored, and its caller gets the current key",
      Effect.gen(function* () {
        const first = yield* add(aSigningKey(START), START)
        const later = plus(first.signsUntil, -1)
        expect(yield* add(aSigningKey(later), later)).toEqual(first)
        expect(yield* published(later)).toEqual([first])
      }),
    )

    test(
      "a key signs from createdAt to 1 ms before signsUntil",
      Effect.gen(function* () {
        const key = yield* add(aSigningKey(START), START)
        expect(yield* current(plus(START, -1))).toEqual(Option.none())
        expect(yield* current(START)).toEqual(Option.some(key))
        expect(yield* current(plus(key.signsUntil, -1))).toEqual(Option.some(key))
        expect(yield* current(key.signsUntil)).toEqual(Option.none())
      }),
    )

    test(
      "stores the next key at the instant the current one stops signing, and not 1 ms before",
      Effect.gen(function* () {
        const first = yield* add(aSigningKey(START), START)
        const early = plus(first.signsUntil, -1)
        expect(yield* add(aSigningKey(early), early)).toEqual(first)
        const next = aSigningKey(first.signsUntil)
        expect(yield* add(next, first.signsUntil)).toEqual(next)
        expect(yield* current(early)).toEqual(Option.some(first))
        expect(yield* current(first.signsUntil)).toEqual(Option.some(next))
      }),
    )

    test(
      "publishes a key until 1 ms before publishedUntil, newest first",
      Effect.gen(function* () {
        const { first, second } = yield* twoGenerations
        expect(kids(yield* published(first.signsUntil))).toEqual([second.kid, first.kid])
        expect(kids(yield* published(plus(first.publishedUntil, -1)))).toEqual([second.kid, first.kid])
        expect(kids(yield* published(first.publishedUntil))).toEqual([second.kid])
        expect(yield* published(second.publishedUntil)).toEqual([])
      }),
    )

    test(
      "refuses a candidate that would not sign now or would leave the JWKS while it signs, storing nothing",
      Effect.gen(function* () {
        const notYet = aSigningKey(plus(START, 1))
        const over = aSigningKey(DateTime.subtractDuration(START, ROTATION))
        const unpublished = aSigningKey(START, { publishedUntil: plus(START, 1000) })
        for (const candidate of [notYet, over, unpublished]) {
          expect(Exit.isFailure(yield* Effect.exit(add(candidate, START)))).toBe(true)
        }
        expect(yield* published(DateTime.subtractDuration(START, ROTATION))).toEqual([])
        // Refused even while another key signs: the caller's bug is not hidden by the answer.
        yield* add(aSigningKey(START), START)
        expect(Exit.isFailure(yield* Effect.exit(add(notYet, START)))).toBe(true)
      }),
    )

    test(
      "refuses a candidate whose kid is already stored",
      Effect.gen(function* () {
        const first = yield* add(aSigningKey(START), START)
        const again = aSigningKey(first.signsUntil, { kid: first.kid })
        expect(Exit.isFailure(yield* Effect.exit(add(again, first.signsUntil)))).toBe(true)
        expect(yield* published(first.signsUntil)).toEqual([first])
      }),
    )

    test(
      "purges the keys no longer published, from publishedUntil on, and answers how many",
      Effect.gen(function* () {
        const { first, second } = yield* twoGenerations
        expect(yield* purge(plus(first.publishedUntil, -1))).toBe(0)
        expect(yield* published(first.signsUntil)).toEqual([second, first])
        expect(yield* purge(first.publishedUntil)).toBe(1)
        expect(yield* published(first.signsUntil)).toEqual([second])
        expect(yield* purge(first.publishedUntil)).toBe(0)
        expect(yield* current(first.signsUntil)).toEqual(Option.some(second))
      }),
    )

    test(
      `stores one key when ${FIBERS} instances add one at once, at each of ${ROUNDS} rotations: all get the stored one`,
      Effect.gen(function* () {
        for (let round = 0; round < ROUNDS; round++) {
          const at = DateTime.addDuration(START, Duration.times(ROTATION, round))
          const candidates = Arr.makeBy(FIBERS, () => aSigningKey(at))
          const answers = yield* all(
            candidates.map((candidate) => add(candidate, at)),
            round,
          )
          const stored = Option.getOrThrow(yield* current(at))
          expect(kids(candidates)).toContain(stored.kid)
          expect(kids(answers)).toEqual(Arr.replicate(stored.kid, FIBERS))
          // This round's key, and the last round's, published a few minutes more.
          expect(yield* published(at)).toHaveLength(round === 0 ? 1 : 2)
        }
      }),
    )
  })
