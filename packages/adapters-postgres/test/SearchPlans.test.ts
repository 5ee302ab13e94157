import { SqlClient, type Statement } from "@effect/sql"
import { describe, expect, layer } from "@effect/vitest"
import { type SortField, sortKeyOf, type UserQuery, UserRepository } from "@userkit/domain"
import { aQuery } from "@userkit/domain/testing"
import { Effect, Layer, Option, Schema } from "effect"
import { searchStatements } from "../src/UserSearch.js"
import { hasTestDatabase, postgresTestDatabase, repositoryOn, testDatabaseUrl } from "./support/TestDatabase.js"

const USERS = 20_000
const DEEP = 15_000

// Every 5000th user is a "Zoë Ångström"; two users share each instant, so the id tiebreak matters.
const seeded = Layer.effectDiscard(
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.andThen(
      sql`INSERT INTO users (id, email, username, full_name, is_active, password_hash, created_at, updated_at,
          email_lower, username_lower, full_name_lower)
        SELECT gen_random_uuid(), email, username, name, i % 10 <> 0, 'hash', at, at, lower(email), lower(username), lower(name)
        FROM generate_series(1, ${USERS}) AS i, LATERAL (SELECT
          'user' || i || '@example.com' AS email, 'user_' || i AS username,
          CASE WHEN i % 5000 = 0 THEN 'Zoë Ångström ' || i ELSE 'Person ' || substr(md5(i::text), 1, 12) END AS name,
          timestamptz '2026-01-01Z' + (i / 2) * interval '1 millisecond' AS at) AS generated`,
      // As autovacuum would: statistics, and GIN's pending list merged into the index.
      sql`VACUUM ANALYZE users`,
    ),
  ),
)

const aDirectoryQuery = (overrides: Partial<UserQuery>): UserQuery =>
  aQuery({ searchIn: ["username", "full_name"], limit: 21, ...overrides })

const PlanRows = Schema.Array(Schema.Struct({ "QUERY PLAN": Schema.String }))

/** PostgreSQL's plan for `statement`, with the parameters it is sent with. */
const explain = (statement: Statement.Statement<unknown>, options = "") =>
  Effect.gen(function* () {
    const sql = yield* SqlClient.SqlClient
    const [text, params] = statement.compile()
    const rows = yield* Effect.flatMap(sql.unsafe(`EXPLAIN ${options} ${text}`, params), Schema.decodeUnknown(PlanRows))
    return rows.map((row) => row["QUERY PLAN"]).join("\n")
  })
const plansOf = (query: UserQuery) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const { page, count } = searchStatements(sql, query)
    return Effect.all({ page: explain(page), count: explain(count) })
  })
/** Pages read (shared buffers hit or read) running the page query of `query`. */
const buffersOf = (query: UserQuery) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(explain(searchStatements(sql, query).page, "(ANALYZE, BUFFERS)"), (plan) => {
      const [, hit = "0", read = "0"] = /Buffers: shared hit=(\d+)(?: read=(\d+))?/.exec(plan) ?? []
      return Number(hit) + Number(read)
    }),
  )

/** The position of the user `DEEP` places into the order of `sort`. */
const deepPosition = (sort: SortField, descending: boolean) =>
  Effect.flatMap(UserRepository, (repo) =>
    repo.search(aDirectoryQuery({ sort, descending, offset: DEEP, limit: 1 })),
  ).pipe(
    Effect.map(({ items: [user] }) =>
      Option.map(Option.fromNullable(user), (u) => ({ key: sortKeyOf(u, sort), id: u.id })),
    ),
  )

const sortIndex: Record<SortField, string> = {
  created_at: "users_created_at_id_idx",
  email: "users_email_sort_idx",
  username: "users_username_sort_idx",
  full_name: "users_full_name_sort_idx",
}

describe.runIf(hasTestDatabase)(`query plans on a PostgreSQL server with ${USERS} users`, () => {
  layer(seeded.pipe(Layer.provideMerge(repositoryOn(postgresTestDatabase(testDatabaseUrl)))), {
    timeout: 60_000,
    excludeTestServices: true,
  })((it) => {
    it.effect("a search reads the trigram indexes, not the table", () =>
      Effect.gen(function* () {
        const narrow = yield* plansOf(aDirectoryQuery({ search: Option.some("ångström") }))
        const everyField = yield* plansOf(
          aDirectoryQuery({
            search: Option.some("Ångström"),
            searchIn: ["email", "username", "full_name"],
            isActive: Option.some(true),
          }),
        )
        for (const plan of [narrow.page, narrow.count, everyField.page, everyField.count]) {
          expect(plan).toContain("Bitmap Index Scan on users_full_name_trgm_idx")
          expect(plan).toContain("Bitmap Index Scan on users_username_trgm_idx")
          expect(plan).not.toContain("Seq Scan")
        }
        expect(everyField.page).toContain("Bitmap Index Scan on users_email_trgm_idx")
        const found = yield* Effect.flatMap(UserRepository, (repo) =>
          repo.search(aDirectoryQuery({ search: Option.some("ÅNGSTRÖM") })),
        )
        expect(found).toMatchObject({ total: USERS / 5000, totalIsExact: true })
      }),
    )

    it.effect("a keyset page deep in any order walks that order's index from the position, sorting nothing", () =>
      Effect.gen(function* () {
        for (const sort of ["created_at", "email", "username", "full_name"] as const) {
          for (const descending of [false, true]) {
            const after = yield* deepPosition(sort, descending)
            expect(Option.isSome(after)).toBe(true)
            const { page } = yield* plansOf(aDirectoryQuery({ sort, descending, after }))
            expect(page, `${sort} ${descending ? "desc" : "asc"}`).toMatch(
              new RegExp(
                `Index Scan${descending ? " Backward" : ""} using ${sortIndex[sort]}[^]*Index Cond: \\(ROW\\(`,
              ),
            )
            expect(page).not.toMatch(/Sort|Seq Scan/)
          }
        }
      }),
    )

    it.effect("a deep keyset page reads as few pages as the first page, unlike a deep offset", () =>
      Effect.gen(function* () {
        const after = yield* deepPosition("username", false)
        const first = yield* buffersOf(aDirectoryQuery({ sort: "username" }))
        const deep = yield* buffersOf(aDirectoryQuery({ sort: "username", after }))
        const offset = yield* buffersOf(aDirectoryQuery({ sort: "username", offset: DEEP }))
        expect(deep).toBeLessThanOrEqual(first + 3)
        expect(offset).toBeGreaterThan(10 * deep)
      }),
    )
  })
})
