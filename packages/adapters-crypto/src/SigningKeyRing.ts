import {
  createCipheriv,
  createDecipheriv,
  createPrivateKey,
  createPublicKey,
  hkdfSync,
  type KeyObject,
  randomBytes,
  webcrypto,
} from "node:crypto"
import { InvalidToken, PublicJwk, SigningKey, SigningKeyStore, traced } from "@userkit/domain"
import { Clock, Context, DateTime, Duration, Effect, Layer, Option, Redacted, Schema, SynchronizedRef } from "effect"
import {
  type CryptoKey,
  calculateJwkThumbprint,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  type JWTPayload,
  jwtVerify,
} from "jose"
import { MAX_TOKEN_LENGTH, ttlSeconds } from "./AccessTokenClaims.js"
import { signCompact } from "./CompactJws.js"

export interface Options {
  /** At least 32 bytes the caller derived from SECRET_KEY; the private keys are sealed under it. */
  readonly secret: Redacted.Redacted<Uint8Array>
  /** How long a key signs before the next one takes over; 30 days when absent. */
  readonly rotateEvery?: Duration.DurationInput | undefined
  /** The longest lifetime of a token the ring signs: a key stays published this long after it stops signing. */
  readonly tokenLifetime: Duration.DurationInput
  readonly issuer: string
  readonly audience: string
}

export const MIN_SECRET_BYTES = 32
export const DEFAULT_ROTATION = Duration.days(30)
/** The clock skew verification allows on exp, nbf and iat, between instances and their clients. */
export const CLOCK_TOLERANCE_SECONDS = 30
/** At most one store read per this interval for tokens naming a kid the ring does not know. */
export const UNKNOWN_KID_RELOAD_INTERVAL = Duration.seconds(5)
/** The ring re-reads the store at least this often, so a key deleted by an operator stops verifying. */
export const RELOAD_INTERVAL = Duration.minutes(5)
/** How long before it signs the next key is published: well over the JWKS's cache time and a reload's. */
export const PREPUBLISH = Duration.hours(1)
// Checked before any parsing, so an oversized header cannot make us decode or hash megabytes.
export { MAX_TOKEN_LENGTH } from "./AccessTokenClaims.js"

/** A published key as the JWKS serves it: the public JWK, its kid, its one algorithm and use. */
export interface PublishedJwk extends PublicJwk {
  readonly kid: string
  readonly alg: "EdDSA"
  readonly use: "sig"
}

/** EdDSA tokens signed with the keys of a SigningKeyStore shared by every instance, and their JWKS. */
export class SigningKeyRing extends Context.Tag("userkit/SigningKeyRing")<
  SigningKeyRing,
  {
    /**
     * Signs `claims` with the current key (header `{ alg: "EdDSA", kid, typ }`). `iss` and `aud`
     * are the ring's; `iat` is the caller's if given (never in the future, a defect), else now;
     * `exp` the caller's if given (never past `tokenLifetime` after `iat`, a defect), else that.
     * Ed25519 is deterministic: the same claims with the same key are the same token.
     */
    readonly sign: (claims: JWTPayload, typ: string) => Effect.Effect<string>
    /** The claims of a token one of the published keys signed, of type `typ`, for this issuer and audience, valid now. */
    readonly verify: (token: string, options: { readonly typ: string }) => Effect.Effect<JWTPayload, InvalidToken>
    /** The published keys, newest first: what `GET /.well-known/jwks.json` answers. */
    readonly jwks: Effect.Effect<{ readonly keys: ReadonlyArray<PublishedJwk> }>
  }
>() {}

const PrivateJwk = Schema.Struct({ ...PublicJwk.fields, d: Schema.NonEmptyString })
const decodePrivateJwk = Schema.decodeUnknownOption(PrivateJwk)
const parsePrivateJwk = Schema.decodeUnknownOption(Schema.parseJson(PrivateJwk))
const ED25519 = { name: "Ed25519" }

/** The AES-256-GCM key that seals private keys, derived from the caller's secret for this one use. */
const sealingKey = (secret: Redacted.Redacted<Uint8Array>): Buffer =>
  Buffer.from(hkdfSync("sha256", Redacted.value(secret), new Uint8Array(0), "userkit signing keys: AES-256-GCM", 32))

// The kid as associated data: a sealed key copied into another row does not open there.
const associatedData = (kid: string) => Buffer.from(`userkit signing key ${kid}`)

/** `v1.<nonce>.<ciphertext and tag>`, base64url; a fresh 96-bit nonce each time. */
const seal = (key: Buffer, kid: string, plaintext: string): string => {
  const nonce = randomBytes(12)
  const cipher = createCipheriv("aes-256-gcm", key, nonce).setAAD(associatedData(kid))
  const sealed = Buffer.concat([cipher.update(plaintext, "utf8"), cipher.final(), cipher.getAuthTag()])
  return `v1.${nonce.toString("base64url")}.${sealed.toString("base64url")}`
}

/** The plaintext, or none when the key, the kid or the text is not the one it was sealed with. */
const unseal = (key: Buffer, kid: string, sealed: string): Option.Option<string> => {
  const [version, nonce, body, ...rest] = sealed.split(".")
  if (version !== "v1" || nonce === undefined || body === undefined || rest.length > 0) return Option.none()
  const bytes = Buffer.from(body, "base64url")
  try {
    const decipher = createDecipheriv("aes-256-gcm", key, Buffer.from(nonce, "base64url"))
      .setAAD(associatedData(kid))
      .setAuthTag(bytes.subarray(-16))
    return Option.some(Buffer.concat([decipher.update(bytes.subarray(0, -16)), decipher.final()]).toString("utf8"))
  } catch {
    return Option.none()
  }
}

/** A private JWK's text as a stored key keeps it: sealed under `secret`, for `kid`. */
export const sealPrivateJwk = (secret: Redacted.Redacted<Uint8Array>, kid: string, jwk: string): string =>
  seal(sealingKey(secret), kid, jwk)

/** The private JWK's text `key` seals, or none when sealed under another secret (or not for its kid). */
export const unsealPrivateJwk = (secret: Redacted.Redacted<Uint8Array>, key: SigningKey): Option.Option<string> =>
  unseal(sealingKey(secret), key.kid, key.sealedPrivateKey)

const unsealFailure = (kid: string) =>
  new Error(
    `signing key ${kid} cannot be unsealed: it was sealed under another SECRET_KEY (every instance sharing ` +
      "the database must use the same one), or its stored form was altered",
  )

/**
 * A new Ed25519 key that signs from `now` for `rotateEvery`, published `tokenLifetime` (plus the
 * clock tolerance) longer, its kid the RFC 7638 thumbprint and its private half sealed; with the
 * private key, for the caller that stores it.
 */
export const generateKey = (
  options: Options,
  now: DateTime.Utc,
): Effect.Effect<{ readonly key: SigningKey; readonly privateKey: CryptoKey }> =>
  Effect.gen(function* () {
    const { privateKey } = yield* Effect.promise(() => generateKeyPair("EdDSA", { crv: "Ed25519", extractable: true }))
    const jwk = yield* Effect.promise(() => exportJWK(privateKey))
    const exported = Option.getOrUndefined(decodePrivateJwk(jwk))
    if (exported === undefined) return yield* Effect.dieMessage("a generated Ed25519 key did not export as an OKP JWK")
    const { d, ...publicJwk } = exported
    const kid = yield* Effect.promise(() => calculateJwkThumbprint(publicJwk))
    const signsUntil = DateTime.addDuration(now, options.rotateEvery ?? DEFAULT_ROTATION)
    const published = Duration.sum(options.tokenLifetime, Duration.seconds(CLOCK_TOLERANCE_SECONDS))
    const key = new SigningKey({
      kid,
      algorithm: "EdDSA",
      publicJwk,
      sealedPrivateKey: sealPrivateJwk(options.secret, kid, JSON.stringify({ ...publicJwk, d })),
      createdAt: now,
      signsUntil,
      publishedUntil: DateTime.addDuration(signsUntil, published),
    })
    return { key, privateKey }
  })

interface Signer {
  readonly kid: string
  readonly signsUntil: number
  /** A node key: tokens are signed on the event loop's thread (see signCompact). */
  readonly key: KeyObject
}
interface Verifier {
  readonly key: CryptoKey
  readonly publishedUntil: number
  readonly jwk: PublishedJwk
}
/** What the ring knows of the store, as of `loadedAt`. */
interface Loaded {
  readonly signer: Signer
  /** Newest first. */
  readonly verifiers: ReadonlyMap<string, Verifier>
  readonly loadedAt: number
  /** When an unknown kid last sent it to the store (never, at first). */
  readonly unknownKidReadAt: number
}

export const make = (options: Options): Effect.Effect<SigningKeyRing["Type"], never, SigningKeyStore> =>
  Effect.gen(function* () {
    const store = yield* SigningKeyStore
    if (Redacted.value(options.secret).length < MIN_SECRET_BYTES) {
      return yield* Effect.dieMessage(`the signing-key secret must be at least ${MIN_SECRET_BYTES} bytes`)
    }
    const lifetimeSeconds = yield* ttlSeconds(options.tokenLifetime)
    const unsealWith = sealingKey(options.secret)
    const { issuer, audience } = options

    const signerOf = (key: SigningKey) =>
      Effect.gen(function* () {
        // Node makes the key from `d` alone: its public half must be the one the store publishes.
        const imported = unseal(unsealWith, key.kid, key.sealedPrivateKey).pipe(
          Option.flatMap(parsePrivateJwk),
          Option.flatMap(Option.liftThrowable((jwk) => createPrivateKey({ key: { ...jwk }, format: "jwk" }))),
          Option.filter((privateKey) => createPublicKey(privateKey).export({ format: "jwk" }).x === key.publicJwk.x),
          Option.getOrUndefined,
        )
        if (imported === undefined) return yield* Effect.die(unsealFailure(key.kid))
        return { kid: key.kid, signsUntil: DateTime.toEpochMillis(key.signsUntil), key: imported }
      })
    const verifierOf = (key: SigningKey) =>
      Effect.map(
        Effect.promise(() => webcrypto.subtle.importKey("jwk", key.publicJwk, ED25519, false, ["verify"])),
        (imported): Verifier => ({
          key: imported,
          publishedUntil: DateTime.toEpochMillis(key.publishedUntil),
          jwk: { ...key.publicJwk, kid: key.kid, alg: key.algorithm, use: "sig" },
        }),
      )

    /** Reads the published keys, storing a new one first if none signs now; keeps what it already imported. */
    const load = (previous: Loaded | undefined, now: number) =>
      Effect.gen(function* () {
        const at = DateTime.unsafeMake(now)
        let keys = yield* store.published(at)
        let current = keys.find((key) => key.signsAt(at))
        if (current === undefined) {
          const { key: candidate } = yield* generateKey(options, at)
          current = yield* store.addIfNoneCurrent(candidate, at)
          if (current.kid === candidate.kid) yield* Effect.logInfo("stored a new signing key", { kid: current.kid })
          yield* store.purge(at)
          keys = yield* store.published(at)
        }
        // The next key is stored, and so published, PREPUBLISH before it signs: verifiers that
        // cache the JWKS (5 minutes, see ops/Handlers.ts) know it before its first token reaches them.
        const next = current.signsUntil
        if (
          DateTime.toEpochMillis(next) - now <= Duration.toMillis(PREPUBLISH) &&
          !keys.some((key) => key.signsAt(next))
        ) {
          const { key: candidate } = yield* generateKey(options, next)
          const stored = yield* store.addIfNoneCurrent(candidate, next)
          if (stored.kid === candidate.kid) yield* Effect.logInfo("published the next signing key", { kid: stored.kid })
          keys = yield* store.published(at)
        }
        const verifiers = new Map<string, Verifier>()
        for (const key of keys) verifiers.set(key.kid, previous?.verifiers.get(key.kid) ?? (yield* verifierOf(key)))
        const signer = previous?.signer.kid === current.kid ? previous.signer : yield* signerOf(current)
        const ring: Loaded = {
          signer,
          verifiers,
          loadedAt: now,
          unknownKidReadAt: previous?.unknownKidReadAt ?? Number.NEGATIVE_INFINITY,
        }
        return ring
      }).pipe(traced("SigningKeyRing.load"))

    const loaded = yield* SynchronizedRef.make(yield* load(undefined, yield* Clock.currentTimeMillis))
    /**
     * Reloads once when `due` (the first fiber to find it so; the others then see its result),
     * `mark`ing the new ring with why it was read.
     */
    const reloadIf = (
      due: (ring: Loaded, now: number) => boolean,
      mark: (next: Loaded, ring: Loaded, now: number) => Loaded = (next) => next,
    ) =>
      Effect.flatMap(Clock.currentTimeMillis, (now) => {
        const check = (ring: Loaded) =>
          due(ring, now) ? Effect.map(load(ring, now), (next) => mark(next, ring, now)) : Effect.succeed(ring)
        return Effect.flatMap(SynchronizedRef.get(loaded), (ring) =>
          due(ring, now) ? SynchronizedRef.updateAndGetEffect(loaded, check) : Effect.succeed(ring),
        )
      })
    // Past the signer's time, or not read for a while.
    const stale = (ring: Loaded, now: number) =>
      now >= ring.signer.signsUntil || now - ring.loadedAt >= Duration.toMillis(RELOAD_INTERVAL)
    const fresh = reloadIf(stale)
    // Or naming a kid it does not know: another instance may have stored one, even one that loaded
    // with this one (two starting at once can each store a key, each current at its own start), so
    // the first unknown kid is read at once. Forged kids cost one read per interval, however many.
    const unknown = (ring: Loaded, kid: string, now: number) =>
      !ring.verifiers.has(kid) && now - ring.unknownKidReadAt >= Duration.toMillis(UNKNOWN_KID_RELOAD_INTERVAL)
    const knowing = (kid: string) =>
      reloadIf(
        (ring, now) => stale(ring, now) || unknown(ring, kid, now),
        (next, ring, now) => (unknown(ring, kid, now) ? { ...next, unknownKidReadAt: now } : next),
      )

    const sign = Effect.fnUntraced(function* (claims: JWTPayload, typ: string) {
      const { signer } = yield* fresh
      const now = Math.floor((yield* Clock.currentTimeMillis) / 1000)
      // A caller may date a token in the past (a replayed answer, issued again the same); never ahead.
      if (claims.iat !== undefined && claims.iat > now)
        return yield* Effect.dieMessage("a token may not be issued in the future")
      const iat = claims.iat ?? now
      const latest = iat + lifetimeSeconds
      if (claims.exp !== undefined && claims.exp > latest) {
        return yield* Effect.dieMessage(
          "a token may not outlive the token lifetime: its key would leave the JWKS first",
        )
      }
      return signCompact(
        { alg: "EdDSA", kid: signer.kid, typ },
        { ...claims, iss: issuer, aud: audience, iat, exp: claims.exp ?? latest },
        signer.key,
      )
    }, traced("SigningKeyRing.sign"))

    // Every refusal is the same InvalidToken, carrying neither the token nor jose's reason.
    const verify = Effect.fnUntraced(function* (token: string, { typ }: { readonly typ: string }) {
      if (token.length > MAX_TOKEN_LENGTH) return yield* new InvalidToken()
      const kid = yield* Effect.try({ try: () => decodeProtectedHeader(token).kid, catch: () => new InvalidToken() })
      if (typeof kid !== "string") return yield* new InvalidToken()
      const ring = yield* knowing(kid)
      const now = yield* Clock.currentTimeMillis
      const verifier = ring.verifiers.get(kid)
      if (verifier === undefined || verifier.publishedUntil <= now) return yield* new InvalidToken()
      const { payload } = yield* Effect.tryPromise({
        try: () =>
          jwtVerify(token, verifier.key, {
            // Pinned to the key's own algorithm: a header naming another (none, HS256) is refused.
            algorithms: [verifier.jwk.alg],
            typ,
            issuer,
            audience,
            requiredClaims: ["exp", "iat"],
            // With a maximum age, jose also refuses an iat in the future (beyond the tolerance).
            maxTokenAge: lifetimeSeconds,
            clockTolerance: CLOCK_TOLERANCE_SECONDS,
            currentDate: new Date(now),
          }),
        catch: () => new InvalidToken(),
      })
      return payload
    }, traced("SigningKeyRing.verify"))

    const jwks = Effect.gen(function* () {
      const ring = yield* fresh
      const now = yield* Clock.currentTimeMillis
      const keys = Array.from(ring.verifiers.values()).filter((verifier) => verifier.publishedUntil > now)
      return { keys: keys.map((verifier) => verifier.jwk) }
    }).pipe(traced("SigningKeyRing.jwks"))

    return SigningKeyRing.of({ sign, verify, jwks })
  })

/** The ring on the SigningKeyStore; dies at build for a short secret, or keys sealed under another secret. */
export const layer = (options: Options): Layer.Layer<SigningKeyRing, never, SigningKeyStore> =>
  Layer.effect(SigningKeyRing, make(options))
