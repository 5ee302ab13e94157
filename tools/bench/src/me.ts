import { availableParallelism } from "node:os"
import { signIn } from "./api.js"
import { parseOptions } from "./args.js"
import { type LoadResult, runLoad } from "./load.js"
import { profileDirIf, profilerClock, reportProfile } from "./profile.js"
import { printServerSetup, withBenchServer } from "./server.js"

const TARGET_RPS = 2_000
const MAX_NOT_OK = 0.001

const ms = (value: number) => `${value} ms`

const report = (result: LoadResult, connections: number) => {
  const notOk = result.total - result.ok200 + result.errors
  const attempts = result.total + result.errors
  const codes = Object.entries(result.statusCodes).map(([code, count]) => `${code}: ${count}`)
  console.log(`\nresults (${connections} connections, ${result.seconds} s measured):`)
  console.log(`  requests/s (mean)   ${result.requestsPerSecond.toFixed(0)}`)
  console.log(`  latency p50         ${ms(result.latency.p50)}`)
  console.log(`  latency p90         ${ms(result.latency.p90)}`)
  console.log(`  latency p99         ${ms(result.latency.p99)}`)
  console.log(`  latency max         ${ms(result.latency.max)} (autocannon records whole milliseconds)`)
  console.log(`  total requests      ${result.total} (status ${codes.join(", ") || "none"})`)
  console.log(`  non-2xx             ${result.non2xx}`)
  console.log(`  errors              ${result.errors} (timeouts ${result.timeouts})`)
  const verdict = result.requestsPerSecond >= TARGET_RPS ? "met" : "NOT met"
  console.log(`  target              >= ${TARGET_RPS} req/s on this ${availableParallelism()}-core machine: ${verdict}`)
  if (attempts === 0 || notOk / attempts > MAX_NOT_OK)
    throw new Error(`${notOk} of ${attempts} requests were not 200 (more than ${MAX_NOT_OK * 100}%)`)
}

/** `pnpm bench me`: GET /api/v1/auth/me (JWT verify + one user lookup by id) under load. */
export const benchMe = async (args: ReadonlyArray<string>, signal: AbortSignal) => {
  const options = parseOptions(args)
  console.log("bench me: GET /api/v1/auth/me with a bearer token")
  printServerSetup(options.logLevel)
  console.log(
    `  the load generator (autocannon, separate process) and the server share ${availableParallelism()} cores`,
  )
  const profileDir = await profileDirIf(options.profile)
  const window = await withBenchServer(
    { cpuProfileDir: profileDir, logLevel: options.logLevel },
    signal,
    async (server) => {
      const token = await signIn(server.baseUrl)
      const load = { url: `${server.baseUrl}/api/v1/auth/me`, headers: { authorization: `Bearer ${token}` } }
      const run = (seconds: number) => runLoad({ ...load, connections: options.connections, seconds }, signal)
      const warm = await run(options.warmup)
      console.log(`  warm-up: ${options.warmup} s, ${warm.requestsPerSecond.toFixed(0)} req/s (not counted)`)
      const from = profilerClock()
      const result = await run(options.duration)
      const to = profilerClock()
      report(result, options.connections)
      return { from, to }
    },
  )
  // The server wrote its profile when it exited.
  if (profileDir !== undefined) await reportProfile(profileDir, window)
}
