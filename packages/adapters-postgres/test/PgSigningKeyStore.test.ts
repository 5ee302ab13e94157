import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { SigningKeyStore } from "@userkit/domain"
import { aSigningKey, signingKeyStoreContract } from "@userkit/domain/testing"
import { DateTime, Effect, Layer, Schema } from "effect"
import { PgSigningKeyStore } from "../src/index.js"
import {
  hasTestDatabase,
  type MigratedTestDatabase,
  migratedEmbeddedDatabase,
  migratedPostgresDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

/** The store under test on a migrated, empty `database`. */
const storeOn = (database: MigratedTestDatabase) => PgSigningKeyStore.layer.pipe(Layer.provideMerge(database))

const embedded = storeOn(migratedEmbeddedDatabase())

signingKeyStoreContract("embedded engine (PGlite)", embedded)

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  signingKeyStoreContract("PostgreSQL", storeOn(migratedPostgresDatabase(testDatabaseUrl)))
})

const START = DateTime.unsafeMake("2026-01-05T09:00:00.000Z")
const StoredJwk = Schema.Array(Schema.Struct({ kty: Schema.String, crv: Schema.String, x: Schema.String }))

describe("PgSigningKeyStore", () => {
  it.live("keeps the public key as a JWK document an operator can query", () =>
    Effect.gen(function* () {
      const key = yield* Effect.flatMap(SigningKeyStore, (store) => store.addIfNoneCurrent(aSigningKey(START), START))
      const sql = yield* SqlClient.SqlClient
      const rows = yield* sql`SELECT public_jwk->>'kty' AS kty, public_jwk->>'crv' AS crv, public_jwk->>'x' AS x
        FROM userkit_signing_keys`.pipe(Effect.flatMap(Schema.decodeUnknown(StoredJwk)))
      expect(rows).toEqual([key.publicJwk])
    }).pipe(Effect.provide(embedded)),
  )

  it.live("refuses, in the table itself, a key published for less time than it signs", () =>
    Effect.gen(function* () {
      const sql = yield* SqlClient.SqlClient
      const inserted = yield* sql`INSERT INTO userkit_signing_keys
        (kid, algorithm, public_jwk, sealed_private_key, created_at, signs_until, published_until)
        VALUES ('k', 'EdDSA', '{}', 's', ${new Date(1000)}, ${new Date(3000)}, ${new Date(2000)})`.pipe(Effect.either)
      expect(inserted._tag).toBe("Left")
    }).pipe(Effect.provide(embedded)),
  )
})
