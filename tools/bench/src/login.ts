import { randomBytes } from "node:crypto"
import { availableParallelism } from "node:os"
import { setTimeout as sleep } from "node:timers/promises"
import * as bcrypt from "@node-rs/bcrypt"
import { register } from "./api.js"
import { parseLoginOptions } from "./args.js"
import { runLoad } from "./load.js"
import { percentile } from "./measure.js"
import { printServerSetup, withBenchServer } from "./server.js"

const COST = 12
const TARGET_RATIO = 0.9
const TARGET_HEALTH_P99_MS = 20
const PROBE_GAP_MS = 10
const MAX_NOT_OK = 0.001

/** Sequential GET /health, one every PROBE_GAP_MS, each timed to its last byte, until `until` settles. */
const probeHealth = async (baseUrl: string, until: Promise<unknown>): Promise<ReadonlyArray<number>> => {
  let done = false
  void until.finally(() => {
    done = true
  })
  const times: Array<number> = []
  while (!done) {
    const start = performance.now()
    const response = await fetch(`${baseUrl}/health`)
    await response.arrayBuffer()
    if (response.status !== 200) throw new Error(`GET /health answered ${response.status} during the storm`)
    times.push(performance.now() - start)
    await sleep(PROBE_GAP_MS)
  }
  return times.sort((a, b) => a - b)
}

/**
 * bcrypt's ceiling on this machine: verifications at the same cost and concurrency, run directly in
 * this process (on its own libuv pool), for `seconds`. The password is a 44-byte string like the
 * server's HMAC prehash: bcrypt's time depends on the cost only.
 */
const bcryptCeiling = async (concurrency: number, seconds: number): Promise<number> => {
  const password = randomBytes(33).toString("base64")
  const hash = await bcrypt.hash(password, { cost: COST })
  const deadline = performance.now() + seconds * 1000
  let verified = 0
  const worker = async () => {
    while (performance.now() < deadline) {
      if (!(await bcrypt.verify(password, hash))) throw new Error("bcrypt did not verify its own hash")
      verified += 1
    }
  }
  const start = performance.now()
  await Promise.all(Array.from({ length: concurrency }, worker))
  return verified / ((performance.now() - start) / 1000)
}

const ms = (value: number) => `${value.toFixed(1)} ms`

/**
 * `pnpm bench login`: N concurrent logins (one user, right password) at bcrypt cost 12 against the
 * ceiling bcrypt itself reaches here, while GET /health is probed for how long other requests wait.
 */
export const benchLogin = async (args: ReadonlyArray<string>, signal: AbortSignal) => {
  const options = parseLoginOptions(args)
  console.log(`bench login: POST /api/v1/auth/login, ${options.connections} concurrent, bcrypt cost ${COST}`)
  printServerSetup(options.logLevel, COST)
  console.log(
    `  the load generator (autocannon, separate process), this process's /health probe and the server share ${availableParallelism()} cores`,
  )
  if (options.bcryptConcurrency !== undefined)
    console.log(`  BCRYPT_CONCURRENCY=${options.bcryptConcurrency} (else the server's default)`)
  const env = options.bcryptConcurrency === undefined ? {} : { BCRYPT_CONCURRENCY: String(options.bcryptConcurrency) }
  await withBenchServer(
    { cpuProfileDir: undefined, logLevel: options.logLevel, bcryptCost: COST, env },
    signal,
    async (server) => {
      const user = await register(server.baseUrl)
      const load = {
        url: `${server.baseUrl}/api/v1/auth/login`,
        method: "POST" as const,
        body: JSON.stringify(user),
        headers: { "content-type": "application/json" },
        connections: options.connections,
      }
      const warm = await runLoad({ ...load, seconds: options.warmup }, signal)
      console.log(`  warm-up: ${options.warmup} s, ${warm.requestsPerSecond.toFixed(1)} logins/s (not counted)`)
      const storm = runLoad({ ...load, seconds: options.duration }, signal)
      const [result, probes] = await Promise.all([storm, probeHealth(server.baseUrl, storm)])
      // After the storm, with the server idle: the same concurrency, for as long.
      const ceiling = await bcryptCeiling(options.connections, options.duration)

      const logins = result.ok200 / result.seconds
      const ratio = logins / ceiling
      const p50 = percentile(probes, 50)
      const p99 = percentile(probes, 99)
      const codes = Object.entries(result.statusCodes).map(([code, count]) => `${code}: ${count}`)
      console.log(`\nresults (${options.connections} connections, ${result.seconds} s measured):`)
      console.log(`  logins/s (200)      ${logins.toFixed(1)}`)
      console.log(
        `  bcrypt ceiling      ${ceiling.toFixed(1)} verifications/s at cost ${COST}, ${options.connections} at once`,
      )
      console.log(
        `  ratio               ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? "met" : "NOT met"})`,
      )
      console.log(`  login latency p50   ${result.latency.p50} ms, p99 ${result.latency.p99} ms`)
      console.log(
        `  total requests      ${result.total} (status ${codes.join(", ") || "none"}), errors ${result.errors}`,
      )
      console.log(`  GET /health probes  ${probes.length}, one every ${PROBE_GAP_MS} ms after the last`)
      console.log(`  health p50          ${ms(p50)}`)
      console.log(
        `  health p99          ${ms(p99)} (target < ${TARGET_HEALTH_P99_MS} ms: ${p99 < TARGET_HEALTH_P99_MS ? "met" : "NOT met"})`,
      )
      console.log(`  health max          ${ms(percentile(probes, 100))}`)
      const attempts = result.total + result.errors
      const notOk = result.total - result.ok200 + result.errors
      if (attempts === 0 || notOk / attempts > MAX_NOT_OK)
        throw new Error(`${notOk} of ${attempts} logins were not 200 (more than ${MAX_NOT_OK * 100}%)`)
    },
  )
}
