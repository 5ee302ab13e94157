import { Context, DateTime, type Effect, type Option, Schema } from "effect"

/** The JWS algorithms a stored key may sign with; verification pins each key to its own. */
export const SigningAlgorithm = Schema.Literal("EdDSA")
export type SigningAlgorithm = typeof SigningAlgorithm.Type

/** The public half of an Ed25519 key as a JWK (RFC 8037): what the JWKS publishes, with the kid. */
export const PublicJwk = Schema.Struct({
  kty: Schema.Literal("OKP"),
  crv: Schema.Literal("Ed25519"),
  x: Schema.NonEmptyString,
})
export type PublicJwk = typeof PublicJwk.Type

/**
 * A token-signing key pair, as every instance sharing the store sees it. It signs from `createdAt`
 * until `signsUntil`, and stays published for verification until `publishedUntil`, when every
 * token it signed has expired. The private half is sealed by the signer: the store keeps it opaque.
 */
export class SigningKey extends Schema.Class<SigningKey>("SigningKey")({
  /** The key's id in token headers and the JWKS (the signer uses its RFC 7638 thumbprint). */
  kid: Schema.NonEmptyString,
  algorithm: SigningAlgorithm,
  publicJwk: PublicJwk,
  sealedPrivateKey: Schema.NonEmptyString,
  createdAt: Schema.DateTimeUtc,
  signsUntil: Schema.DateTimeUtc,
  publishedUntil: Schema.DateTimeUtc,
}) {
  /** Whether it is the key to sign with at `now`: createdAt ≤ now < signsUntil. */
  signsAt(now: DateTime.Utc): boolean {
    return DateTime.lessThanOrEqualTo(this.createdAt, now) && DateTime.lessThan(now, this.signsUntil)
  }

  /** Whether tokens it signed may still be verified at `now`: now < publishedUntil. */
  isPublishedAt(now: DateTime.Utc): boolean {
    return DateTime.lessThan(now, this.publishedUntil)
  }

  /** Whether it may be stored as the key for `now`: it signs then, and is published at least as long. */
  isCandidateAt(now: DateTime.Utc): boolean {
    return this.signsAt(now) && DateTime.lessThanOrEqualTo(this.signsUntil, this.publishedUntil)
  }
}

/** Newest first; ties (never made by `addIfNoneCurrent`) by kid, so every store answers alike. */
export const newestFirst = (a: SigningKey, b: SigningKey): number =>
  DateTime.toEpochMillis(b.createdAt) - DateTime.toEpochMillis(a.createdAt) ||
  (a.kid < b.kid ? -1 : a.kid > b.kid ? 1 : 0)

/**
 * Where the token-signing keys live, shared by every instance. Time is passed in, not read from a
 * clock: the signer builds a candidate for the instant it checks, and the store decides at that
 * same instant. Creating a key is one atomic step: however many instances start or reach the
 * rotation time together, one key is current at a time. An unreachable store is a
 * `StoreUnavailable` defect. The contract suite in `@userkit/domain/testing` is the full
 * specification.
 */
export class SigningKeyStore extends Context.Tag("userkit/SigningKeyStore")<
  SigningKeyStore,
  {
    /** The keys still published at `now` (publishedUntil > now), newest first. */
    readonly published: (now: DateTime.Utc) => Effect.Effect<ReadonlyArray<SigningKey>>
    /** The newest key that signs at `now` (createdAt ≤ now < signsUntil). */
    readonly current: (now: DateTime.Utc) => Effect.Effect<Option.Option<SigningKey>>
    /**
     * Stores `candidate` if no key signs at `now`, in one atomic step, and answers the key that
     * signs at `now` after it: the candidate, or the key another caller stored first. A candidate
     * that is not one at `now` (see `SigningKey.isCandidateAt`), or whose kid is stored, is a defect.
     */
    readonly addIfNoneCurrent: (candidate: SigningKey, now: DateTime.Utc) => Effect.Effect<SigningKey>
    /** Deletes the keys no longer published at `now` (publishedUntil ≤ now); answers how many. */
    readonly purge: (now: DateTime.Utc) => Effect.Effect<number>
  }
>() {}
