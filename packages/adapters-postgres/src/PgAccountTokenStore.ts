import { SqlClient, type SqlError } from "@effect/sql"
import {
  AccountToken,
  AccountTokenHash,
  AccountTokenStore,
  Email,
  Redemption,
  TokenPurpose,
  traced,
  UserId,
} from "@userkit/domain"
import { DateTime, Effect, Layer, Schema } from "effect"
import { rowDefect, sqlDefect } from "./SqlFailure.js"

/** A token's columns as the driver returns them (timestamps as Date). */
const AccountTokenRow = Schema.Struct({
  hash: AccountTokenHash,
  purpose: TokenPurpose,
  user_id: UserId,
  email: Email,
  created_at: Schema.DateTimeUtcFromDate,
  expires_at: Schema.DateTimeUtcFromDate,
  redeemed_at: Schema.NullOr(Schema.DateTimeUtcFromDate),
})

/** A token as stored: the token, and when it was redeemed if it was. */
const StoredToken = Schema.Struct({
  token: Schema.typeSchema(AccountToken),
  redeemedAt: Schema.NullOr(Schema.DateTimeUtcFromSelf),
})
type StoredToken = typeof StoredToken.Type

/** The one place rows become tokens and back. */
const StoredTokenFromRow = Schema.transform(AccountTokenRow, StoredToken, {
  strict: true,
  // The row schema has just checked every field with AccountToken's own schemas.
  decode: (row) => ({
    token: new AccountToken(
      {
        hash: row.hash,
        purpose: row.purpose,
        userId: row.user_id,
        email: row.email,
        createdAt: row.created_at,
        expiresAt: row.expires_at,
      },
      true,
    ),
    redeemedAt: row.redeemed_at,
  }),
  encode: ({ token, redeemedAt }) => ({
    hash: token.hash,
    purpose: token.purpose,
    user_id: token.userId,
    email: token.email,
    created_at: token.createdAt,
    expires_at: token.expiresAt,
    redeemed_at: redeemedAt,
  }),
})

const decodeTokens = Schema.decodeUnknown(Schema.Array(StoredTokenFromRow))
const encodeToken = Schema.encode(StoredTokenFromRow)
const Count = Schema.Array(Schema.Struct({ count: Schema.Number }))
const decodeCount = Schema.decodeUnknown(Count)

const COLUMNS = Object.keys(AccountTokenRow.fields).join(", ")

/** What a stored token is at `now`: Used wins over Expired. */
const classify = (stored: StoredToken | undefined, now: DateTime.Utc): Redemption => {
  if (stored === undefined) return Redemption.Unknown()
  if (stored.redeemedAt !== null) return Redemption.Used()
  if (DateTime.greaterThanOrEqualTo(now, stored.token.expiresAt)) return Redemption.Expired()
  return Redemption.Valid({ token: stored.token })
}

export const make: Effect.Effect<AccountTokenStore["Type"], never, SqlClient.SqlClient> = Effect.gen(function* () {
  const sql = yield* SqlClient.SqlClient
  const columns = sql.literal(COLUMNS)
  const tokens = (rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    rows.pipe(
      Effect.flatMap(decodeTokens),
      Effect.catchTag("ParseError", rowDefect("reading account tokens", "userkit_account_tokens")),
    )
  /** How many rows a `WITH gone AS (DELETE ... RETURNING 1)` took. */
  const counted = (rows: Effect.Effect<ReadonlyArray<unknown>, SqlError.SqlError>) =>
    rows.pipe(
      Effect.flatMap(decodeCount),
      Effect.map((found) => found[0]?.count ?? 0),
      Effect.catchTag("ParseError", rowDefect("counting account tokens", "userkit_account_tokens")),
    )
  const lookUp = (hash: AccountTokenHash, purpose: TokenPurpose) =>
    Effect.map(
      tokens(sql`SELECT ${columns} FROM userkit_account_tokens WHERE hash = ${hash} AND purpose = ${purpose}`),
      (found) => found[0],
    )

  /**
   * One conditional UPDATE redeems: concurrent redeemers queue on the row's lock, and each that
   * waited re-checks `redeemed_at IS NULL` on the row as the first left it, so exactly one gets
   * the row back. Whoever gets nothing reads the row to say why (read after the UPDATE, so a
   * redemption it lost to is seen). The state it reads only moves away from live (redeemed,
   * replaced, deleted), except for a hash issued again meanwhile: then it tries again.
   */
  const redeem = (
    hash: AccountTokenHash,
    purpose: TokenPurpose,
    now: DateTime.Utc,
  ): Effect.Effect<Redemption, SqlError.SqlError> =>
    Effect.gen(function* () {
      const at = DateTime.toDate(now)
      const [redeemed] = yield* tokens(sql`UPDATE userkit_account_tokens SET redeemed_at = ${at}
        WHERE hash = ${hash} AND purpose = ${purpose} AND redeemed_at IS NULL AND expires_at > ${at}
        RETURNING ${columns}`)
      if (redeemed !== undefined) return Redemption.Valid({ token: redeemed.token })
      const why = classify(yield* lookUp(hash, purpose), now)
      return why._tag === "Valid" ? yield* redeem(hash, purpose, now) : why
    })

  return AccountTokenStore.of({
    // One statement, atomic whatever races it: the account's unredeemed token of this purpose, if
    // any, becomes this one in place (the partial unique index is the arbiter), so the earlier
    // hash is gone in the same step. A hash stored already (primary key) or an account that does
    // not exist (foreign key) is refused: a defect.
    issue: (token) =>
      encodeToken({ token, redeemedAt: null }).pipe(
        Effect.orDie,
        Effect.flatMap(
          (row) => sql`INSERT INTO userkit_account_tokens ${sql.insert(row)}
            ON CONFLICT (user_id, purpose) WHERE redeemed_at IS NULL
            DO UPDATE SET hash = EXCLUDED.hash, email = EXCLUDED.email,
              created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at`,
        ),
        Effect.asVoid,
        Effect.catchTag("SqlError", sqlDefect("issuing an account token")),
        traced("PgAccountTokenStore.issue", { attributes: { purpose: token.purpose } }),
      ),
    find: (hash, purpose, now) =>
      lookUp(hash, purpose).pipe(
        Effect.map((stored) => classify(stored, now)),
        Effect.catchTag("SqlError", sqlDefect("finding an account token")),
        traced("PgAccountTokenStore.find"),
      ),
    redeem: (hash, purpose, now) =>
      redeem(hash, purpose, now).pipe(
        Effect.catchTag("SqlError", sqlDefect("redeeming an account token")),
        traced("PgAccountTokenStore.redeem"),
      ),
    revokeAll: (userId, purpose) =>
      counted(sql`WITH gone AS (DELETE FROM userkit_account_tokens
        WHERE user_id = ${userId} AND purpose = ${purpose} AND redeemed_at IS NULL RETURNING 1)
        SELECT count(*)::int AS count FROM gone`).pipe(
        Effect.catchTag("SqlError", sqlDefect("revoking account tokens")),
        traced("PgAccountTokenStore.revokeAll"),
      ),
    // SKIP LOCKED: a purge never waits for a token being redeemed or replaced (nor for another
    // purge), so it cannot deadlock with anything; what it skips, the next purge takes. The
    // expression is the one migration 5 indexes (LEAST ignores a NULL redeemed_at).
    purge: (before) =>
      counted(sql`WITH gone AS (DELETE FROM userkit_account_tokens WHERE hash IN (
          SELECT hash FROM userkit_account_tokens WHERE LEAST(expires_at, redeemed_at) < ${DateTime.toDate(before)}
          FOR UPDATE SKIP LOCKED) RETURNING 1)
        SELECT count(*)::int AS count FROM gone`).pipe(
        Effect.catchTag("SqlError", sqlDefect("purging account tokens")),
        traced("PgAccountTokenStore.purge"),
      ),
  })
})

/** The AccountTokenStore port on PostgreSQL (a server or the embedded engine) via @effect/sql. */
export const layer: Layer.Layer<AccountTokenStore, never, SqlClient.SqlClient> = Layer.effect(AccountTokenStore, make)
