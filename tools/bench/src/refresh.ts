import { availableParallelism } from "node:os"
import { register } from "./api.js"
import { parseOptions } from "./args.js"
import { runLoad } from "./load.js"
import { percentile } from "./measure.js"
import { printServerSetup, withBenchServer } from "./server.js"

interface Pair {
  readonly access_token: string
  readonly refresh_token: string
}

const postJson = async (url: string, body: unknown): Promise<Pair> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  })
  const text = await response.text()
  if (response.status !== 200) throw new Error(`POST ${url} answered ${response.status}: ${text.slice(0, 300)}`)
  const pair: unknown = JSON.parse(text)
  if (typeof pair !== "object" || pair === null || !("access_token" in pair) || !("refresh_token" in pair))
    throw new Error(`POST ${url} answered 200 without a token pair`)
  return { access_token: String(pair.access_token), refresh_token: String(pair.refresh_token) }
}

/**
 * One session's chain of refreshes until `until`: each presents the token the previous one
 * answered, as a client does (a token presented twice would be a replay, not a refresh).
 */
const refreshChain = async (baseUrl: string, until: number, latencies: Array<number>, signal: AbortSignal) => {
  const { username, password } = await register(baseUrl)
  let pair = await postJson(`${baseUrl}/api/v1/auth/login`, { username, password })
  while (performance.now() < until && !signal.aborted) {
    const start = performance.now()
    pair = await postJson(`${baseUrl}/api/v1/auth/refresh`, { refresh_token: pair.refresh_token })
    latencies.push(performance.now() - start)
  }
  return pair
}

const ms = (value: number) => `${value.toFixed(1)} ms`

/**
 * `pnpm bench refresh`: N sessions refreshing their tokens as fast as they can (each refresh one
 * transaction: lock the session, retire the token, insert its successor, move the idle end) against
 * one server on a fresh PostgreSQL database; then GET /auth/me with a token of one of those
 * sessions (a JWT verify and one query joining the live session to its account).
 */
export const benchRefresh = async (args: ReadonlyArray<string>, signal: AbortSignal) => {
  const options = parseOptions(args)
  console.log(`bench refresh: POST /api/v1/auth/refresh, ${options.connections} sessions at once`)
  printServerSetup(options.logLevel)
  console.log(`  the load (this process, then autocannon) and the server share ${availableParallelism()} cores`)
  await withBenchServer({ cpuProfileDir: undefined, logLevel: options.logLevel }, signal, async (server) => {
    const chains = (seconds: number, latencies: Array<number>) => {
      const until = performance.now() + seconds * 1000
      return Promise.all(
        Array.from({ length: options.connections }, () => refreshChain(server.baseUrl, until, latencies, signal)),
      )
    }
    await chains(options.warmup, [])
    const latencies: Array<number> = []
    const start = performance.now()
    const pairs = await chains(options.duration, latencies)
    const seconds = (performance.now() - start) / 1000
    latencies.sort((a, b) => a - b)
    console.log(`\nresults (${options.connections} sessions, ${seconds.toFixed(1)} s):`)
    console.log(
      `  refreshes/s         ${(latencies.length / seconds).toFixed(0)} (${latencies.length} refreshes, all 200)`,
    )
    console.log(`  refresh p50         ${ms(percentile(latencies, 50))}`)
    console.log(`  refresh p99         ${ms(percentile(latencies, 99))}`)

    const token = pairs[0]?.access_token ?? ""
    const me = await runLoad(
      {
        url: `${server.baseUrl}/api/v1/auth/me`,
        headers: { authorization: `Bearer ${token}` },
        connections: options.connections,
        seconds: Math.min(options.duration, 10),
      },
      signal,
    )
    if (me.ok200 !== me.total) throw new Error(`GET /auth/me answered ${me.total - me.ok200} non-200s`)
    console.log(
      `  GET /auth/me        ${me.requestsPerSecond.toFixed(0)} req/s with the session checked (p99 ${me.latency.p99} ms)`,
    )
  })
}
