import { randomBytes } from "node:crypto"
import { availableParallelism } from "node:os"
import { setTimeout as sleep } from "node:timers/promises"
import * as bcrypt from "@node-rs/bcrypt"
import { register } from "./api.js"
import { parseLoginOptions } from "./args.js"
import { type CpuSnapshot, cpuSnapshot, cpuUse, describeCpu, serverSettled } from "./cpu.js"
import { runLoad } from "./load.js"
import { percentile } from "./measure.js"
import { HealthProbe } from "./probe.js"
import { profileDirIf, profilerClock, reportProfile } from "./profile.js"
import { printServerSetup, withBenchServer } from "./server.js"

const COST = 12
const TARGET_RATIO = 0.9
const TARGET_HEALTH_P99_MS = 20
const STEADY_AFTER_S = 1.5
const MAX_NOT_OK = 0.001

interface Probes {
  /** Each probe's time to its last byte, in ms, sorted. */
  readonly times: ReadonlyArray<number>
  /** When each began (performance.now()), in order. */
  readonly starts: ReadonlyArray<number>
  readonly seconds: number
}

/**
 * Sequential GET /health, each timed to its last byte, until `until` settles: each `gapMs` after the
 * last one answered, or each `cycleMs` after the last one started (to probe as often as another run did).
 */
const probeHealth = async (
  baseUrl: string,
  until: Promise<unknown>,
  pace: { readonly gapMs: number } | { readonly cycleMs: number },
): Promise<Probes> => {
  let done = false
  void until.finally(() => {
    done = true
  })
  const times: Array<number> = []
  const starts: Array<number> = []
  const url = new URL(baseUrl)
  const probe = new HealthProbe(url.hostname, Number(url.port), "/health")
  const first = performance.now()
  try {
    while (!done) {
      const start = performance.now()
      starts.push(start)
      const status = await probe.get()
      if (status !== 200) throw new Error(`GET /health answered ${status} during the storm`)
      const took = performance.now() - start
      times.push(took)
      await sleep("gapMs" in pace ? pace.gapMs : Math.max(0, pace.cycleMs - took))
    }
  } finally {
    probe.close()
  }
  return { times: times.sort((a, b) => a - b), starts, seconds: (performance.now() - first) / 1000 }
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

/** CPU use between two snapshots, when /proc gave both. */
const used = (from: CpuSnapshot | undefined, to: CpuSnapshot | undefined) =>
  from === undefined || to === undefined ? undefined : cpuUse(from, to)

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
  const env = {
    ...(options.bcryptConcurrency === undefined ? {} : { BCRYPT_CONCURRENCY: String(options.bcryptConcurrency) }),
    ...(options.bcryptNice === undefined ? {} : { BCRYPT_NICE: String(options.bcryptNice) }),
  }
  for (const [name, value] of Object.entries(env)) console.log(`  ${name}=${value} (else the server's default)`)
  const profileDir = await profileDirIf(options.profile)
  const measured = await withBenchServer(
    { cpuProfileDir: profileDir, logLevel: options.logLevel, bcryptCost: COST, env },
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
      // The verifications the warm-up left running finish first: they are no part of the storm, nor
      // of the ceiling measured before it (the machine's speed drifts: the ceiling is measured on
      // both sides of the storm, and the storm compared with their mean).
      await serverSettled(server.pid)
      const ceilingBefore = await bcryptCeiling(options.connections, options.duration)
      const from = profilerClock()
      let loadPid: number | undefined
      const storm = runLoad({ ...load, seconds: options.duration, onSpawn: (pid) => (loadPid = pid) }, signal)
      // The CPU is read in the storm's steady state: from when autocannon has started (it takes ~0.5 s
      // to, the server idle meanwhile) and has logins in flight, to the end of its run.
      const steady = (seconds: number) => sleep(seconds * 1000).then(() => cpuSnapshot(server.pid, loadPid))
      const steadyFrom = steady(Math.min(STEADY_AFTER_S, options.duration / 3))
      const steadyTo = steady(options.duration)
      const [result, probed] = await Promise.all([
        storm,
        probeHealth(server.baseUrl, storm, { gapMs: options.probeGap }),
      ])
      const stormCpu = used(await steadyFrom, await steadyTo)
      const to = profilerClock()
      const probes = probed.times
      // After the storm, with the server idle (the verifications its last logins left running done
      // first, or they would share the cores with the ceiling's): the same concurrency, for as long.
      const settled = await serverSettled(server.pid)
      const ceilingStart = cpuSnapshot(server.pid)
      const ceilingAfter = await bcryptCeiling(options.connections, options.duration)
      const ceilingCpu = used(ceilingStart, cpuSnapshot(server.pid))
      const ceiling = (ceilingBefore + ceilingAfter) / 2
      // Beside it, not instead: the same again while this process probes GET /health as often as in the storm.
      const cycleMs = (1000 * probed.seconds) / Math.max(1, probes.length)
      const withProbeStart = cpuSnapshot(server.pid)
      const ceilingRun = bcryptCeiling(options.connections, options.duration)
      const [probedCeiling, ceilingProbes] = await Promise.all([
        ceilingRun,
        probeHealth(server.baseUrl, ceilingRun, { cycleMs }),
      ])
      const withProbeCpu = used(withProbeStart, cpuSnapshot(server.pid))

      const logins = result.ok200 / result.seconds
      const ratio = logins / ceiling
      const p50 = percentile(probes, 50)
      const p99 = percentile(probes, 99)
      const codes = Object.entries(result.statusCodes).map(([code, count]) => `${code}: ${count}`)
      console.log(`\nresults (${options.connections} connections, ${result.seconds} s measured):`)
      console.log(`  logins/s (200)      ${logins.toFixed(1)}`)
      console.log(
        `  bcrypt ceiling      ${ceiling.toFixed(1)} verifications/s at cost ${COST}, ${options.connections} at once (${ceilingBefore.toFixed(1)} before the storm, ${ceilingAfter.toFixed(1)} after)`,
      )
      console.log(
        `  ratio               ${ratio.toFixed(2)} (target >= ${TARGET_RATIO}: ${ratio >= TARGET_RATIO ? "met" : "NOT met"})`,
      )
      console.log(`  login latency p50   ${result.latency.p50} ms, p99 ${result.latency.p99} ms`)
      console.log(
        `  total requests      ${result.total} (status ${codes.join(", ") || "none"}), errors ${result.errors}`,
      )
      console.log(`  GET /health probes  ${probes.length}, one every ${options.probeGap} ms after the last`)
      console.log(`  health p50          ${ms(p50)}`)
      console.log(
        `  health p99          ${ms(p99)} (target < ${TARGET_HEALTH_P99_MS} ms: ${p99 < TARGET_HEALTH_P99_MS ? "met" : "NOT met"})`,
      )
      console.log(`  health max          ${ms(percentile(probes, 100))}`)
      console.log(
        `\nbeside, not the target's definition (the ceiling after the storm started ${settled.toFixed(0)} ms after it, once the server's threads were idle):`,
      )
      console.log(
        `  ceiling with probe  ${probedCeiling.toFixed(1)} verifications/s while GET /health was probed as often as in the storm (${ceilingProbes.times.length} probes, one every ${cycleMs.toFixed(1)} ms); logins/s over it ${(logins / probedCeiling).toFixed(2)}`,
      )
      if (stormCpu !== undefined && ceilingCpu !== undefined && withProbeCpu !== undefined) {
        console.log(
          describeCpu(
            [
              ["storm", stormCpu],
              ["ceiling after", ceilingCpu],
              ["ceiling+probe", withProbeCpu],
            ],
            [
              [
                "server: threads other than main (hashing: bcrypt; libuv pool: WebCrypto; V8: GC)",
                (use) => use.serverOthers,
              ],
              ["server: main thread (event loop)", (use) => use.serverMain],
              ["this process: threads other than main (the ceiling's bcrypt; V8: GC)", (use) => use.selfOthers],
              ["this process: main thread (the /health probe)", (use) => use.selfMain],
              ["load generator (autocannon)", (use) => use.children],
            ],
          ),
        )
        console.log(
          `  (the storm's column: from ${Math.min(STEADY_AFTER_S, options.duration / 3)} s after autocannon was started to ${options.duration} s after, its steady state)`,
        )
        const busiest = Math.max(stormCpu.rest, ceilingCpu.rest)
        if (busiest > 5)
          console.log(
            `  NOTE: other work took up to ${busiest.toFixed(0)}% of a core in a phase: this ratio does not compare with a quiet run's`,
          )
        const share = stormCpu.serverOthers / ceilingCpu.selfOthers
        console.log(
          `  bcrypt's CPU, storm over ceiling: ${share.toFixed(2)} (threads other than main, server over this process)`,
        )
        // In ms of CPU per request: percent of one core × seconds × 10.
        const per = (percent: number, seconds: number, count: number) => (10 * percent * seconds) / Math.max(1, count)
        const healthServer = per(withProbeCpu.serverMain, withProbeCpu.seconds, ceilingProbes.times.length)
        const healthClient = per(withProbeCpu.selfMain, withProbeCpu.seconds, ceilingProbes.times.length)
        const steadyProbes = probed.starts.filter((at) => at >= stormCpu.from && at <= stormCpu.to).length
        const steadyLogins = logins * stormCpu.seconds
        const loginMain = (per(stormCpu.serverMain, stormCpu.seconds, 1) - healthServer * steadyProbes) / steadyLogins
        console.log("  CPU per request, ms:")
        console.log(
          `    GET /health         server main thread ${healthServer.toFixed(2)}, probe ${healthClient.toFixed(2)} (in the ceiling+probe)`,
        )
        console.log(
          `    login               server main thread ~${loginMain.toFixed(1)} (the storm's, less its ${steadyProbes} probes at the cost above), threads other than main ~${per(stormCpu.serverOthers, stormCpu.seconds, steadyLogins).toFixed(0)} (at ${logins.toFixed(1)} logins/s)`,
        )
        console.log(
          `    ceiling verify      ${per(ceilingCpu.selfOthers, ceilingCpu.seconds, ceilingAfter * ceilingCpu.seconds).toFixed(0)} on this process's threads other than main`,
        )
      }
      const attempts = result.total + result.errors
      const notOk = result.total - result.ok200 + result.errors
      if (attempts === 0 || notOk / attempts > MAX_NOT_OK)
        throw new Error(`${notOk} of ${attempts} logins were not 200 (more than ${MAX_NOT_OK * 100}%)`)
      return { window: { from, to }, logins: result.ok200, probes: probes.length }
    },
  )
  if (profileDir !== undefined) {
    const { busyMs } = await reportProfile(profileDir, measured.window)
    // Busy in the profile is wall time: on a core, or ready and waiting for one (the profiler's
    // samples are taken by the clock), so it exceeds the CPU time /proc counts above when bcrypt
    // keeps the cores busy.
    console.log(
      `\nmain thread per login, /health probes included: ${(busyMs / Math.max(1, measured.logins)).toFixed(1)} ms busy in the profile (${measured.logins} logins, ${measured.probes} probes; wall time, waits for a core included)`,
    )
  }
}
