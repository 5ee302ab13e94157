import { SqlClient, type SqlError } from "@effect/sql"
import { PublicJwk, SigningAlgorithm, SigningKey, SigningKeyStore, traced } from "@userkit/domain"
import { DateTime, Effect, Layer, Option, Schema } from "effect"
import { rowDefect, sqlDefect } from "./SqlFailure.js"

/** A key's columns as selected (the JWK as text, timestamps as Date). */
const SigningKeyRow = Schema.Struct({
  kid: Schema.NonEmptyString,
  algorithm: SigningAlgorithm,
  public_jwk: Schema.parseJson(PublicJwk),
  sealed_private_key: Schema.NonEmptyString,
  created_at: Schema.DateTimeUtcFromDate,
  signs_until: Schema.DateTimeUtcFromDate,
  published_until: Schema.DateTimeUtcFromDate,
})

/** The one place rows become keys and back. */
const SigningKeyFromRow = Schema.transform(SigningKeyRow, Schema.typeSchema(SigningKey), {
  strict: true,
  // The row schema has just checked every field with SigningKey's own schemas.
  decode: (row) =>
    new SigningKey(
      {
        kid: row.kid,
        algorithm: row.algorithm,
        publicJwk: row.public_jwk,
        sealedPrivateKey: row.sealed_private_key,
        createdAt: row.created_at,
        signsUntil: row.signs_until,
        publishedUntil: row.published_until,
      },
      true,
    ),
  encode: (key) => ({
    kid: key.kid,
    algorithm: key.algorithm,
    public_jwk: key.publicJwk,
    sealed_private_key: key.sealedPrivateKey,
    created_at: key.createdAt,
    signs_until: key.signsUntil,
    published_until: key.publishedUntil,
  }),
})

const decodeKeys = Schema.decodeUnknown(Schema.Array(SigningKeyFromRow))
const encodeKey = Schema.encode(SigningKeyFromRow)

const COLUMNS = `kid, algorithm, public_jwk::text AS public_jwk, sealed_private_key, created_at, signs_until, published_until`
// Newest first; kid in code-point order, as the domain's `newestFirst` compares.
const NEWEST_FIRST = `created_at DESC, kid COLLATE "C"`

export const make: Effect.Effect<SigningKeyStore["Type"], never, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const [columns, newestFirst] = [sql.literal(COLUMNS), sql.literal(NEWEST_FIRST)]
  const keys = (rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    rows.pipe(
      Effect.flatMap(decodeKeys),
      Effect.catchTag("ParseError", rowDefect("reading signing keys", "userkit_signing_keys")),
    )
  const currentAt = (at: Date) =>
    keys(sql`SELECT ${columns} FROM userkit_signing_keys
      WHERE created_at <= ${at} AND signs_until > ${at} ORDER BY ${newestFirst} LIMIT 1`)

  /**
   * The check and the insert in one transaction that first locks the table against every other
   * writer (SHARE ROW EXCLUSIVE conflicts with itself and with the purge's DELETE; reads go on).
   * A transaction that waited for the lock then reads what the winner committed (READ COMMITTED:
   * each statement sees what committed before it started) and answers the winner's key.
   */
  const addLocked = (candidate: SigningKey, at: Date) =>
    Effect.gen(function* () {
      yield* sql`LOCK TABLE userkit_signing_keys IN SHARE ROW EXCLUSIVE MODE`
      const [current] = yield* currentAt(at)
      if (current !== undefined) return current
      const row = yield* Effect.orDie(encodeKey(candidate))
      yield* sql`INSERT INTO userkit_signing_keys
        (kid, algorithm, public_jwk, sealed_private_key, created_at, signs_until, published_until)
        VALUES (${row.kid}, ${row.algorithm}, ${row.public_jwk}::jsonb, ${row.sealed_private_key},
          ${row.created_at}, ${row.signs_until}, ${row.published_until})`
      return candidate
    })

  return SigningKeyStore.of({
    published: (now) =>
      keys(sql`SELECT ${columns} FROM userkit_signing_keys
        WHERE published_until > ${DateTime.toDate(now)} ORDER BY ${newestFirst}`).pipe(
        Effect.catchTag("SqlError", sqlDefect("reading the published signing keys")),
        traced("PgSigningKeyStore.published"),
      ),
    current: (now) =>
      currentAt(DateTime.toDate(now)).pipe(
        Effect.map((found) => Option.fromNullable(found[0])),
        Effect.catchTag("SqlError", sqlDefect("reading the current signing key")),
        traced("PgSigningKeyStore.current"),
      ),
    addIfNoneCurrent: (candidate, now) =>
      (candidate.isCandidateAt(now)
        ? sql.withTransaction(addLocked(candidate, DateTime.toDate(now)))
        : Effect.dieMessage(
            "adding a signing key: the candidate does not sign at the time given, or leaves the JWKS while it signs",
          )
      ).pipe(
        Effect.catchTag("SqlError", sqlDefect("adding a signing key")),
        traced("PgSigningKeyStore.addIfNoneCurrent"),
      ),
    purge: (now) =>
      sql`DELETE FROM userkit_signing_keys WHERE published_until <= ${DateTime.toDate(now)} RETURNING kid`.pipe(
        Effect.map((rows) => rows.length),
        Effect.catchTag("SqlError", sqlDefect("purging signing keys")),
        traced("PgSigningKeyStore.purge"),
      ),
  })
})

/** The SigningKeyStore port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const layer: Layer.Layer<SigningKeyStore, never, SqlClient.SqlClient> = Layer.effect(SigningKeyStore, make)
