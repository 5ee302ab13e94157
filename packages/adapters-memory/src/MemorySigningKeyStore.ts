import { newestFirst, type SigningKey, SigningKeyStore } from "@userkit/domain"
import { Array as Arr, Effect, Layer, Ref } from "effect"

const notACandidate =
  "adding a signing key: the candidate does not sign at the time given, or leaves the JWKS while it signs"

/**
 * A SigningKeyStore in one Ref holding the keys newest first: whether a key signs and the insert
 * are one `Ref.modify`, so no other fiber stores a key between the check and the write.
 */
export const make = Effect.gen(function* () {
  const keys = yield* Ref.make<ReadonlyArray<SigningKey>>([])

  return SigningKeyStore.of({
    published: (now) =>
      Effect.map(
        Ref.get(keys),
        Arr.filter((key) => key.isPublishedAt(now)),
      ),
    current: (now) =>
      Effect.map(
        Ref.get(keys),
        Arr.findFirst((key) => key.signsAt(now)),
      ),
    addIfNoneCurrent: (candidate, now) =>
      Effect.flatten(
        Ref.modify(keys, (stored): [Effect.Effect<SigningKey>, ReadonlyArray<SigningKey>] => {
          // As the database decides: the candidate checked first, its kid only when inserted (the primary key).
          if (!candidate.isCandidateAt(now)) return [Effect.dieMessage(notACandidate), stored]
          const current = stored.find((key) => key.signsAt(now))
          if (current !== undefined) return [Effect.succeed(current), stored]
          if (stored.some((key) => key.kid === candidate.kid)) {
            return [Effect.dieMessage("adding a signing key: its kid is already stored"), stored]
          }
          return [Effect.succeed(candidate), [...stored, candidate].sort(newestFirst)]
        }),
      ),
    purge: (now) =>
      Ref.modify(keys, (stored): [number, ReadonlyArray<SigningKey>] => {
        const kept = stored.filter((key) => key.isPublishedAt(now))
        return [stored.length - kept.length, kept]
      }),
  })
})

/** The domain's SigningKeyStore in memory, empty on each build. */
export const layer: Layer.Layer<SigningKeyStore> = Layer.effect(SigningKeyStore, make)
