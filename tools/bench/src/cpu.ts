import { readdirSync, readFileSync } from "node:fs"
import { availableParallelism } from "node:os"
import { setTimeout as sleep } from "node:timers/promises"

/**
 * Who used the machine's CPU between two moments, from Linux's /proc (clock ticks, 10 ms each): the
 * server (its main thread apart from its other threads: its hashing threads, libuv's pool and V8's),
 * this process (apart from its threads likewise), the load generator (a child: while it runs, read
 * from its own /proc entry; once waited for, in this process's cutime + cstime), PostgreSQL, everything
 * else, and the idle and stolen time. Elsewhere than on Linux, `cpuSnapshot` answers undefined and
 * nothing is reported.
 */
export interface CpuSnapshot {
  readonly at: number
  /** /proc/stat's first line: user nice system idle iowait irq softirq steal */
  readonly system: ReadonlyArray<number>
  readonly server: ThreadTicks
  readonly self: ThreadTicks
  /** utime + stime of the children this process has waited for (cutime + cstime), and of the load generator while it runs. */
  readonly children: number
  readonly postgres: number
}

interface ThreadTicks {
  readonly main: number
  readonly others: number
}

const TICKS_PER_SECOND = 100

const fields = (statLine: string): ReadonlyArray<string> => statLine.slice(statLine.lastIndexOf(")") + 2).split(" ")
/** utime + stime (after the command's closing parenthesis: state is field 0, utime 11, stime 12) */
const ticksOf = (f: ReadonlyArray<string>) => Number(f[11]) + Number(f[12])

const read = (path: string): string | undefined => {
  try {
    return readFileSync(path, "utf8")
  } catch {
    return undefined
  }
}

/**
 * The main thread's ticks, and the rest of the process's: its whole (/proc/<pid>/stat, which keeps
 * the ticks of threads that have ended, such as a hashing thread that rested too long) less the main.
 */
const threads = (pid: number): ThreadTicks => {
  const whole = read(`/proc/${pid}/stat`)
  const main = read(`/proc/${pid}/task/${pid}/stat`)
  if (whole === undefined || main === undefined) return { main: 0, others: 0 }
  const mainTicks = ticksOf(fields(main))
  return { main: mainTicks, others: ticksOf(fields(whole)) - mainTicks }
}

export const cpuSnapshot = (serverPid: number | undefined, loadPid?: number): CpuSnapshot | undefined => {
  const stat = read("/proc/stat")
  if (stat === undefined || serverPid === undefined) return undefined
  const system = (stat.split("\n")[0] ?? "").trim().split(/\s+/).slice(1).map(Number)
  let postgres = 0
  for (const pid of readdirSync("/proc")) {
    if (!/^\d+$/.test(pid)) continue
    const line = read(`/proc/${pid}/stat`)
    if (line === undefined) continue
    if (line.includes("(postgres)")) postgres += ticksOf(fields(line))
  }
  const self = fields(read("/proc/self/stat") ?? "")
  // A child that exited but is not yet waited for still has its entry, with its times: counted once.
  const load = loadPid === undefined ? undefined : read(`/proc/${loadPid}/stat`)
  return {
    at: performance.now(),
    system,
    server: threads(serverPid),
    self: threads(process.pid),
    children: Number(self[13]) + Number(self[14]) + (load === undefined ? 0 : ticksOf(fields(load))),
    postgres,
  }
}

export interface CpuUse {
  /** performance.now() at the two snapshots */
  readonly from: number
  readonly to: number
  readonly seconds: number
  /** Each in percent of one core (all cores: 100 × cores). */
  readonly serverMain: number
  readonly serverOthers: number
  readonly selfMain: number
  readonly selfOthers: number
  readonly children: number
  readonly postgres: number
  readonly rest: number
  readonly idle: number
  readonly steal: number
}

/**
 * CPU used between two snapshots, in percent of one core. The rest of the machine is what /proc/stat
 * counts busy less the parts named (processes that ended in between are in it, except our children).
 */
export const cpuUse = (from: CpuSnapshot, to: CpuSnapshot): CpuUse => {
  const seconds = (to.at - from.at) / 1000
  const pct = (ticks: number) => (100 * ticks) / TICKS_PER_SECOND / seconds
  const sys = (i: number) => (to.system[i] ?? 0) - (from.system[i] ?? 0)
  const busy = sys(0) + sys(1) + sys(2) + sys(5) + sys(6)
  const serverMain = to.server.main - from.server.main
  const serverOthers = to.server.others - from.server.others
  const selfMain = to.self.main - from.self.main
  const selfOthers = to.self.others - from.self.others
  const children = to.children - from.children
  const postgres = Math.max(0, to.postgres - from.postgres)
  const named = serverMain + serverOthers + selfMain + selfOthers + children + postgres
  return {
    from: from.at,
    to: to.at,
    seconds,
    serverMain: pct(serverMain),
    serverOthers: pct(serverOthers),
    selfMain: pct(selfMain),
    selfOthers: pct(selfOthers),
    children: pct(children),
    postgres: pct(postgres),
    rest: pct(Math.max(0, busy - named)),
    idle: pct(sys(3) + sys(4)),
    steal: pct(sys(7)),
  }
}

/**
 * Waits until the server's threads other than its main one stop using CPU: a verification running
 * when its client left (autocannon stops with logins in flight) runs to its end, for up to a few
 * hundred ms at cost 12, and would otherwise share the cores with what is measured next. Gives up
 * after `maxMs`; without /proc, waits `maxMs / 4`. Resolves to how long it waited.
 */
export const serverSettled = async (serverPid: number | undefined, maxMs = 4_000): Promise<number> => {
  const start = performance.now()
  const ticks = (): number | undefined => cpuSnapshot(serverPid)?.server.others
  let last = ticks()
  if (last === undefined) {
    await sleep(maxMs / 4)
    return performance.now() - start
  }
  let still = 0
  while (still < 3 && performance.now() - start < maxMs) {
    await sleep(100)
    const now: number = ticks() ?? last
    still = now - last <= 1 ? still + 1 : 0
    last = now
  }
  return performance.now() - start
}

const p = (value: number) => `${value.toFixed(1)}%`

/** A table for the report: where the cores' time went, one column per phase. */
export const describeCpu = (
  phases: ReadonlyArray<readonly [string, CpuUse]>,
  parts: ReadonlyArray<readonly [string, (use: CpuUse) => number]>,
): string => {
  const all = 100 * availableParallelism()
  const rows: ReadonlyArray<readonly [string, (use: CpuUse) => number]> = [
    ...parts,
    ["PostgreSQL", (use) => use.postgres],
    ["rest of the machine (other work on it)", (use) => use.rest],
    ["idle", (use) => use.idle],
    ["stolen by the hypervisor", (use) => use.steal],
  ]
  const width = Math.max(...rows.map(([name]) => name.length))
  const cell = (text: string) => text.padStart(23)
  return [
    `\nCPU, from /proc, in % of one core (${all}% = all ${all / 100} cores):`,
    `  ${"".padEnd(width)}${phases.map(([name, use]) => cell(`${name} ${use.seconds.toFixed(1)} s`)).join("")}`,
    ...rows.map(([name, of]) => `  ${name.padEnd(width)}${phases.map(([, use]) => cell(p(of(use)))).join("")}`),
  ].join("\n")
}
