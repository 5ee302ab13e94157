import { availableParallelism } from "node:os"
import { SEARCH_COPY_COLUMNS } from "@userkit/adapters-postgres"
import { COUNT_UP_TO, MAX_OFFSET } from "@userkit/domain"
import { signIn } from "./api.js"
import { parseDirectoryOptions } from "./args.js"
import { withClient } from "./database.js"
import { getPage, idsOf, type Latency, measure, type Page } from "./measure.js"
import { profileDirIf, profilerClock, reportProfile } from "./profile.js"
import { seedUsers } from "./seed.js"
import { printServerSetup, withBenchServer } from "./server.js"

const SIZE = 20
const TARGET_MS = 20
// In names.ts, "son" is in 28 last names (Johnson, Wilson...) and a few first names (Jason, Madison): ~10% of
// users; "quig" only in Quigley, one of the last (so rarest) last names: ~0.2%.
const SEARCHES = [
  { text: "son", what: "common last-name fragment" },
  { text: "quig", what: "rare last-name fragment" },
] as const

/**
 * What the directory should answer, straight from the table: the active users matching `search` in
 * username or full name (the directory's scope), in its default order (created_at, id), at `offset`.
 */
const expected = (url: string, search: string | undefined, offset: number, signal: AbortSignal) =>
  withClient(
    url,
    async (client) => {
      const { username, full_name } = SEARCH_COPY_COLUMNS
      const where = `is_active AND ($1::text IS NULL OR ${username} LIKE $1 OR ${full_name} LIKE $1)`
      const pattern = search === undefined ? null : `%${search}%`
      const ids = await client.query<{ id: string }>(
        `SELECT id::text AS id FROM users WHERE ${where} ORDER BY created_at, id LIMIT ${SIZE} OFFSET $2`,
        [pattern, offset],
      )
      const count = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM users WHERE ${where}`, [pattern])
      return { ids: ids.rows.map((row) => row.id).join(","), count: count.rows[0]?.n ?? 0 }
    },
    signal,
  )

/** Throws unless `page` holds the expected users, and the true count or (beyond COUNT_UP_TO) the capped one. */
const check = (what: string, page: Page, truth: { readonly ids: string; readonly count: number }) => {
  if (idsOf(page) !== truth.ids) throw new Error(`${what}: the page lists other users than the table's order`)
  const totalRight = page.total_is_exact
    ? page.total === truth.count
    : page.total === COUNT_UP_TO && truth.count > COUNT_UP_TO
  if (!totalRight)
    throw new Error(`${what}: total ${page.total} (exact: ${page.total_is_exact}) but ${truth.count} users match`)
  return truth.count
}

const ms = (value: number) => value.toFixed(1).padStart(7)
const row = (what: string, latency: Latency, page: Page, matching: number, target: boolean) => {
  const verdict = target ? `  target median < ${TARGET_MS} ms: ${latency.median < TARGET_MS ? "met" : "NOT met"}` : ""
  const total = `${page.total} ${page.total_is_exact ? "exact" : `capped (${matching} match)`}`
  console.log(
    `  ${what.padEnd(40)}${ms(latency.median)}${ms(latency.p95)}${ms(latency.max)}  ${total.padEnd(28)}${verdict}`,
  )
}

/** `pnpm bench directory`: GET /api/v1/users over a seeded directory: a search, a deep page by offset, by cursor. */
export const benchDirectory = async (args: ReadonlyArray<string>, signal: AbortSignal) => {
  const options = parseDirectoryOptions(args)
  const counts = { warmup: options.warmup, requests: options.requests }
  // The deepest page an offset may reach (past it, only a cursor goes), or the middle of a smaller directory.
  const deepPage = Math.max(2, Math.min(Math.floor(options.users / 2 / SIZE), MAX_OFFSET / SIZE + 1))
  console.log(`bench directory: GET /api/v1/users over ${options.users.toLocaleString("en-US")} seeded users`)
  printServerSetup(options.logLevel)
  console.log(
    `  ${counts.requests} sequential requests per query after ${counts.warmup} warm-up ones, from the bench ` +
      `process; it, the server and PostgreSQL share ${availableParallelism()} cores`,
  )
  const profileDir = await profileDirIf(options.profile)
  const serverOptions = { cpuProfileDir: profileDir, logLevel: options.logLevel }
  const window = await withBenchServer(serverOptions, signal, async (server, database) => {
    const token = await signIn(server.baseUrl)
    const list = (query: Record<string, string>) => `${server.baseUrl}/api/v1/users?${new URLSearchParams(query)}`
    await getPage(list({ size: "1" }), token) // before spending the seeding time: is the directory served?
    console.log(`\nseeding ${options.users.toLocaleString("en-US")} users (generate_series, then the indexes):`)
    const times = await seedUsers(database.url, options.users, signal)
    console.log(`  seeding total: ${(times.insert + times.indexes + times.vacuum).toFixed(1)} s`)

    const from = profilerClock()
    console.log(`\nlatency in ms over ${counts.requests} requests (size=${SIZE}, default order created_at asc):`)
    console.log(`  ${"query".padEnd(40)} median    p95     max  total (total_is_exact)`)
    for (const search of SEARCHES) {
      const what = `search=${search.text} (${search.what})`
      const { page, latency } = await measure(list({ search: search.text, size: String(SIZE) }), token, counts, signal)
      row(what, latency, page, check(what, page, await expected(database.url, search.text, 0, signal)), true)
    }
    const offsetWhat = `page=${deepPage} (offset ${((deepPage - 1) * SIZE).toLocaleString("en-US")})`
    const byOffset = await measure(list({ page: String(deepPage), size: String(SIZE) }), token, counts, signal)
    const truth = await expected(database.url, undefined, (deepPage - 1) * SIZE, signal)
    const active = check(offsetWhat, byOffset.page, truth)
    row(offsetWhat, byOffset.latency, byOffset.page, active, false)
    // The cursor that ends the page before, fetched once by offset: the same page by keyset.
    const before = await getPage(list({ page: String(deepPage - 1), size: String(SIZE) }), token)
    const cursor = before.page.next_cursor
    if (cursor === null) throw new Error(`page ${deepPage - 1} has no next_cursor`)
    const byCursor = await measure(list({ after: cursor, size: String(SIZE) }), token, counts, signal)
    if (idsOf(byCursor.page) !== idsOf(byOffset.page))
      throw new Error(`after=<cursor of page ${deepPage - 1}> lists other users than page=${deepPage}`)
    row(`after=<cursor> (same page)`, byCursor.latency, byCursor.page, active, true)
    console.log(`\n  the cursor page lists the same ${byCursor.page.items.length} users as page=${deepPage}: yes`)
    return { from, to: profilerClock() }
  })
  if (profileDir !== undefined) await reportProfile(profileDir, window)
}
