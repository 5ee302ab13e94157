import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { UserRepository } from "@userkit/domain"
import { aQuery } from "@userkit/domain/testing"
import { Effect, Layer, Option } from "effect"
import { Migrator, migrations, PgUserRepository } from "../../src/index.js"
import type { TestDatabase } from "../support/TestDatabase.js"

const [, searchIndexes] = migrations

/** What a migration can change of `users`: its columns and its indexes, as the catalog has them. */
const usersSchema = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.all({
    columns: sql`SELECT column_name, data_type, collation_name, is_nullable FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'users' ORDER BY column_name`,
    indexes: sql`SELECT indexname, indexdef FROM pg_indexes
      WHERE schemaname = current_schema() AND tablename = 'users' ORDER BY indexname`,
  }),
)
const trgmInstalled = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(sql`SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'`, (rows) => rows.length === 1),
)
const searchCopies = Effect.flatMap(
  SqlClient.SqlClient,
  (sql) => sql`SELECT email_lower, username_lower, full_name_lower FROM users ORDER BY email`,
)

/** Migration 2 over rows written under version 1, down, and up again, on `database`. */
export const searchMigrationSuite = (name: string, database: TestDatabase) =>
  describe(`migration 2 (search indexes): ${name}`, () => {
    it.live("fills the search copies of existing users; down restores version 1 exactly; up again", () =>
      Effect.gen(function* () {
        const sql = yield* SqlClient.SqlClient
        // Up to migration 2 only: later migrations (sessions, 3) are not this suite's.
        const migrator = yield* Migrator.make(migrations.slice(0, 2))
        yield* Effect.flatMap(Migrator.make(migrations.slice(0, 1)), (m) => m.up)
        const atVersion1 = yield* usersSchema
        yield* sql`INSERT INTO users (id, email, username, full_name, password_hash, created_at, updated_at) VALUES
          (${crypto.randomUUID()}, 'Ada.Lovelace@Example.COM', 'Ada_L', 'Zoë Ångström', 'h', now(), now()),
          (${crypto.randomUUID()}, 'grace@example.com', 'GRACE', NULL, 'h', now(), now())`
        const expectedCopies = [
          { email_lower: "ada.lovelace@example.com", username_lower: "ada_l", full_name_lower: "zoë ångström" },
          { email_lower: "grace@example.com", username_lower: "grace", full_name_lower: "" },
        ]

        expect(yield* migrator.up).toEqual([searchIndexes])
        expect(yield* searchCopies).toEqual(expectedCopies)
        const atVersion2 = yield* usersSchema
        expect(atVersion2.indexes.map((i) => i.indexname)).toEqual(
          expect.arrayContaining([
            "users_email_trgm_idx",
            "users_username_trgm_idx",
            "users_full_name_trgm_idx",
            "users_email_sort_idx",
            "users_username_sort_idx",
            "users_full_name_sort_idx",
            "users_active_superuser_idx",
          ]),
        )
        // The repository reads the latest schema: search through it there, then come back to 2.
        const latest = yield* Migrator.make(migrations)
        yield* latest.up
        const found = yield* Effect.flatMap(UserRepository, (repo) =>
          repo.search(aQuery({ search: Option.some("ÅNGSTRÖM"), searchIn: ["full_name"], limit: 10, countUpTo: 10 })),
        )
        expect(found.items.map((u) => u.username)).toEqual(["Ada_L"])
        yield* latest.down({ to: 2 })
        expect(yield* usersSchema).toEqual(atVersion2)

        expect(yield* migrator.down()).toEqual([searchIndexes])
        expect(yield* usersSchema).toEqual(atVersion1)
        expect(yield* sql`SELECT count(*)::int AS n FROM users`).toEqual([{ n: 2 }])
        // Left in place on purpose: the extension is the database's, not this schema's.
        expect(yield* trgmInstalled).toBe(true)

        expect(yield* migrator.up).toEqual([searchIndexes])
        expect(yield* usersSchema).toEqual(atVersion2)
        expect(yield* searchCopies).toEqual(expectedCopies)
      }).pipe(Effect.provide(PgUserRepository.layer.pipe(Layer.provideMerge(database)))),
    )
  })
