import { SqlClient } from "@effect/sql"
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { USERS_TABLE_COLUMNS } from "../src/index.js"
import {
  embeddedTestDatabase,
  hasTestDatabase,
  migrated,
  postgresTestDatabase,
  type TestDatabase,
  testDatabaseUrl,
} from "./support/TestDatabase.js"

const migratedColumns = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql<{ readonly name: string }>`SELECT column_name AS name FROM information_schema.columns
      WHERE table_schema = current_schema() AND table_name = 'users' ORDER BY ordinal_position`,
    (rows) => rows.map((row) => row.name),
  ),
)

const usersTableSuite = (name: string, database: TestDatabase) =>
  describe(`UsersTable: ${name}`, () => {
    it.live("names every column of the migrated users table, in table order, and no other", () =>
      Effect.provide(
        Effect.map(migratedColumns, (columns) => expect(columns).toEqual(USERS_TABLE_COLUMNS)),
        migrated(database),
      ),
    )
  })

usersTableSuite("embedded engine (PGlite)", embeddedTestDatabase())

describe.runIf(hasTestDatabase)("on a PostgreSQL server (TEST_DATABASE_URL)", () => {
  usersTableSuite("PostgreSQL", postgresTestDatabase(testDatabaseUrl))
})
