import {
  SEARCH_COPY_COLUMNS,
  USER_FIELD_COLUMNS,
  USERS_TABLE_COLUMNS,
  type UserFieldColumn,
} from "@userkit/adapters-postgres"
import type pg from "pg"
import { withClient } from "./database.js"
import { FIRST_NAMES, LAST_NAMES } from "./names.js"

/** Any valid-looking bcrypt hash: nobody logs in as a seeded user. */
const DUMMY_HASH = "$2b$10$abcdefghijklmnopqrstuu5GSO4wTUJmGXFmcwlD0WNpHnDB6d0RG"

/**
 * Each field column's value in row `i` of the generate_series below (a column the table gains or loses
 * is a compile error here). Deterministic: setseed first.
 * - names: first x last from names.ts, the earlier ones more often (index = n * random()^1.5);
 *   1 in 31 has no full name.
 * - usernames and emails: unique by the row number, in four styles (some mixed case).
 * - created_at: whole milliseconds (as the product stores them, and as cursors carry them) over the
 *   last 2,500 days, more signups lately; ids are v7-like: 48 bits of created_at + md5 bits.
 * - ~3% inactive, one superuser per 250,000; 1 in 7 with a bio, 1 in 5 with an avatar.
 */
const FIELD_VALUES = {
  id: `(lpad(to_hex((extract(epoch FROM created_at) * 1000)::bigint), 12, '0')
      || '7' || substr(h, 1, 3) || '8' || substr(h, 4, 15))::uuid`,
  email: `lower(first) || '.' || lower(last) || i || '@'
      || (ARRAY['example.com', 'mail.example.org', 'example.net'])[1 + i % 3]`,
  username: `CASE i % 4
      WHEN 0 THEN lower(first) || '.' || lower(last) || i
      WHEN 1 THEN lower(left(first, 1) || last) || i
      WHEN 2 THEN first || last || i
      ELSE lower(last) || '_' || lower(first) || i
    END`,
  full_name: `CASE WHEN i % 31 = 0 THEN NULL ELSE first || ' ' || last END`,
  bio: `CASE WHEN i % 7 = 0 THEN 'Hi, I am ' || first || '. I work on '
      || (ARRAY['payments', 'search', 'the mobile app', 'infrastructure', 'support'])[1 + i % 5] || '.' END`,
  avatar_url: `CASE WHEN i % 5 = 0 THEN 'https://avatars.example.com/' || h || '.png' END`,
  email_verified_at: `CASE WHEN i % 4 <> 0 THEN created_at + interval '5 minutes' END`,
  is_active: `random() >= 0.03`,
  is_superuser: `i % 250000 = 0`,
  password_hash: `$4::text`,
  created_at: `created_at`,
  updated_at: `date_trunc('milliseconds', created_at + random() * (i % 3) * interval '90 days')`,
} satisfies Record<UserFieldColumn, string>

// The search copies as the adapter writes them (UsersTable.ts): lower() is JS toLowerCase on these ASCII names.
const SEARCH_COPIES = Object.entries(SEARCH_COPY_COLUMNS).map(([field, copy]) => ({
  column: copy,
  value: `lower(coalesce(u.${field}, ''))`,
}))

/**
 * `count` users in one INSERT ... SELECT over generate_series, in signup order (so the heap is in
 * created_at order, as a real table that grows by appends), every column named by UsersTable.ts.
 */
const INSERT_USERS = `
INSERT INTO users (${[...USER_FIELD_COLUMNS, ...SEARCH_COPIES.map((copy) => copy.column)].join(", ")})
SELECT u.*, ${SEARCH_COPIES.map((copy) => copy.value).join(", ")} FROM (
  SELECT
    ${USER_FIELD_COLUMNS.map((column) => `${FIELD_VALUES[column]} AS ${column}`).join(",\n    ")}
  FROM (
    SELECT i, md5(i::text || 'userkit') AS h,
      ($1::text[])[1 + floor(cardinality($1::text[]) * random() ^ 1.5)::int] AS first,
      ($2::text[])[1 + floor(cardinality($2::text[]) * random() ^ 1.5)::int] AS last,
      date_trunc('milliseconds', date_trunc('day', now()) - interval '2500 days'
        + interval '2500 days' * sqrt((i - random()) / $3::int)) AS created_at
    FROM generate_series(1, $3::int) AS i
  ) AS g
) AS u`

// The indexes of users that back no constraint (the primary key stays: ids arrive in order), as
// PostgreSQL itself prints them: dropped before the insert and re-created from this very text.
const INDEXES = `
SELECT indexname AS name, indexdef AS definition FROM pg_indexes
WHERE schemaname = current_schema() AND tablename = 'users'
  AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = 'users'::regclass)
ORDER BY indexname`

// The columns the migrations made, in table order: they must be those UsersTable.ts describes.
const COLUMNS = `
SELECT column_name AS name FROM information_schema.columns
WHERE table_schema = current_schema() AND table_name = 'users'
ORDER BY ordinal_position`

const checkColumns = async (client: pg.Client) => {
  const migrated = (await client.query<{ name: string }>(COLUMNS)).rows.map((row) => row.name).join(", ")
  const described = USERS_TABLE_COLUMNS.join(", ")
  if (migrated === "") throw new Error("the database has no users table: was it migrated?")
  if (migrated !== described)
    throw new Error(`the migrated users table has columns (${migrated}), UsersTable.ts describes (${described})`)
}

interface IndexDef {
  readonly name: string
  readonly definition: string
}

const readIndexes = async (client: pg.Client): Promise<ReadonlyArray<IndexDef>> =>
  (await client.query<{ name: string; definition: string }>(INDEXES)).rows

const timed = async (what: string, work: () => Promise<unknown>): Promise<number> => {
  const start = performance.now()
  await work()
  const seconds = (performance.now() - start) / 1000
  console.log(`  ${what}: ${seconds.toFixed(1)} s`)
  return seconds
}

export interface SeedTimes {
  readonly insert: number
  readonly indexes: number
  readonly vacuum: number
}

/**
 * Seeds `count` users into the database at `url`, which the server migrated at start (with the adapter's
 * Migrator, as in production) and whose columns must be UsersTable.ts's: the indexes are dropped, the rows inserted,
 * the same indexes re-created, and the result checked against what the migrations had made; then
 * VACUUM ANALYZE, as autovacuum would do eventually. For 1M users on 2 cores that is ~45 s; the
 * product's path (`migrate down --to 1`, insert, `migrate up`) took ~110 s, as migration 2's UPDATE
 * rewrites every row (leaving the table twice its size) before it builds the same indexes.
 */
export const seedUsers = (url: string, count: number, signal: AbortSignal): Promise<SeedTimes> =>
  withClient(
    url,
    async (client) => {
      await checkColumns(client)
      const migrated = await readIndexes(client)
      if (migrated.length === 0) throw new Error("the users table has no index: was the database migrated?")
      await client.query(`DROP INDEX ${migrated.map((index) => `"${index.name}"`).join(", ")}`)
      const insert = await timed(`insert ${count.toLocaleString("en-US")} users`, async () => {
        await client.query("SELECT setseed(0.25)")
        await client.query(INSERT_USERS, [FIRST_NAMES, LAST_NAMES, count, DUMMY_HASH])
      })
      // One at a time: two connections building two at once took as long on this 2-core machine.
      const indexes = await timed(`re-create ${migrated.length} indexes`, async () => {
        for (const index of migrated) await timed(`  ${index.name}`, () => client.query(index.definition))
      })
      const rebuilt = await readIndexes(client)
      if (JSON.stringify(rebuilt) !== JSON.stringify(migrated))
        throw new Error(`the re-created indexes differ from the migrated ones: ${JSON.stringify(rebuilt)}`)
      const vacuum = await timed("VACUUM ANALYZE users", () => client.query("VACUUM ANALYZE users"))
      return { insert, indexes, vacuum }
    },
    signal,
  )
