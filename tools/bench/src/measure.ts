import type { DirectoryPage } from "@userkit/adapters-http"
/** What the bench reads of a directory page: the envelope, and each profile's id and searchable fields. */
export type Page = DirectoryPage<{ readonly id: string; readonly username: string; readonly full_name: string | null }>

type Json = { readonly [key: string]: unknown }
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null

const toItem = (value: unknown): Page["items"][number] | undefined =>
  isObject(value) &&
  typeof value.id === "string" &&
  typeof value.username === "string" &&
  (typeof value.full_name === "string" || value.full_name === null)
    ? { id: value.id, username: value.username, full_name: value.full_name }
    : undefined

const toPage = (json: unknown): Page | undefined => {
  if (!isObject(json) || !Array.isArray(json.items)) return undefined
  const raw: ReadonlyArray<unknown> = json.items
  const items = raw.flatMap((item) => toItem(item) ?? [])
  const { total, total_is_exact, page, size, pages, next_cursor } = json
  if (
    items.length !== raw.length ||
    typeof total !== "number" ||
    typeof total_is_exact !== "boolean" ||
    !(typeof page === "number" || page === null) ||
    typeof size !== "number" ||
    typeof pages !== "number" ||
    !(typeof next_cursor === "string" || next_cursor === null)
  )
    return undefined
  return { items, total, total_is_exact, page, size, pages, next_cursor }
}

/** One GET of a directory page with the bearer token; throws unless it answers 200 with a page. */
export const getPage = async (url: string, token: string): Promise<{ readonly page: Page; readonly ms: number }> => {
  if (new URL(url).hostname !== "127.0.0.1") throw new Error("the bench requests 127.0.0.1 only")
  const start = performance.now()
  const response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
  const text = await response.text()
  const ms = performance.now() - start
  const path = url.slice(url.indexOf("/api/"))
  if (response.status !== 200) throw new Error(`GET ${path} answered ${response.status}: ${text.slice(0, 300)}`)
  const page = toPage(JSON.parse(text))
  if (page === undefined) throw new Error(`GET ${path} answered 200 without a page envelope: ${text.slice(0, 300)}`)
  return { page, ms }
}

export interface Latency {
  readonly median: number
  readonly p95: number
  readonly max: number
}

/** Nearest-rank percentile of ascending `sorted` (p in 0..100). */
export const percentile = (sorted: ReadonlyArray<number>, p: number) =>
  sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN

export const idsOf = (page: Page) => page.items.map((item) => item.id).join(",")

/**
 * `warmup` then `requests` sequential GETs of `url` (one at a time, keep-alive), each timed from the
 * request to the last byte of the body. Every answer must list the same users as the first.
 */
export const measure = async (
  url: string,
  token: string,
  counts: { readonly warmup: number; readonly requests: number },
  signal: AbortSignal,
): Promise<{ readonly page: Page; readonly latency: Latency }> => {
  const first = await getPage(url, token)
  const times: Array<number> = []
  for (let i = 1; i < counts.warmup + counts.requests; i++) {
    signal.throwIfAborted()
    const { page, ms } = await getPage(url, token)
    if (idsOf(page) !== idsOf(first.page)) throw new Error(`GET ${url} answered another page on request ${i + 1}`)
    if (i >= counts.warmup) times.push(ms)
  }
  if (counts.warmup === 0) times.push(first.ms)
  const sorted = times.sort((a, b) => a - b)
  return {
    page: first.page,
    latency: { median: percentile(sorted, 50), p95: percentile(sorted, 95), max: percentile(sorted, 100) },
  }
}
