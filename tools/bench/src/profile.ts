import { mkdtemp, readdir, readFile } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"

const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
}
interface CpuProfile {
  readonly startTime: number
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const isProfile = (value: unknown): value is CpuProfile =>
  typeof value === "object" &&
  value !== null &&
  "startTime" in value &&
  typeof value.startTime === "number" &&
  "nodes" in value &&
  Array.isArray(value.nodes) &&
  "samples" in value &&
  Array.isArray(value.samples) &&
  "timeDeltas" in value &&
  Array.isArray(value.timeDeltas)

/** Which package a frame belongs to, for the per-package shares. */
const packageOf = ({ functionName, url }: ProfileNode["callFrame"]): string => {
  if (url === "") {
    if (functionName === "(garbage collector)") return "GC"
    if (functionName === "(program)") return "(program): V8/native, not attributed"
    return functionName === "(idle)" ? "(idle)" : "node internals"
  }
  if (url.startsWith("node:")) return "node internals"
  const modules = url.lastIndexOf("/node_modules/")
  if (modules < 0) return url.includes("/packages/") ? "userkit code" : "other"
  const [scope = "", name = ""] = url.slice(modules + "/node_modules/".length).split("/")
  const pkg = scope.startsWith("@") ? `${scope}/${name}` : scope
  if (pkg === "effect") return "effect"
  if (pkg.startsWith("@effect/platform")) return "@effect/platform(-node)"
  if (pkg.startsWith("@effect/sql")) return "@effect/sql(-pg)"
  if (pkg === "pg" || pkg.startsWith("pg-") || pkg === "postgres-array") return "pg"
  if (pkg === "jose") return "jose"
  return `other (${pkg})`
}

const shortFile = (url: string, line: number) => {
  const path = url
    .replace(/^file:\/\//, "")
    .replace(/^.*\/node_modules\//, "")
    .replace(repoRoot, "")
  return path === "" ? "" : `${path}:${line + 1}`
}

const table = (rows: ReadonlyArray<readonly [string, number]>, total: number, limit: number) =>
  [...rows]
    .sort((a, b) => b[1] - a[1])
    .slice(0, limit)
    .map(([label, ms]) => `  ${ms.toFixed(0).padStart(7)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${label}`)
    .join("\n")

/** A fresh directory for the server's --cpu-prof output when `profile` is on, else undefined. */
export const profileDirIf = async (profile: boolean): Promise<string | undefined> =>
  profile ? await mkdtemp(join(tmpdir(), "userkit-bench-profile-")) : undefined

/** Now on the clock of V8's profiler (monotonic, microseconds), to select the samples taken under load. */
export const profilerClock = () => Number(process.hrtime.bigint() / 1000n)

export interface Window {
  readonly from: number
  readonly to: number
}

/**
 * Reads the one .cpuprofile in `dir` and prints the top functions by self time and the time per package,
 * counting only the samples taken within `window` (startup, warm-up and shutdown excluded).
 */
export const reportProfile = async (
  dir: string,
  window: Window,
  top = 15,
): Promise<{ readonly busyMs: number; readonly idleMs: number }> => {
  // One file per thread (CPU.<date>.<time>.<pid>.<thread>.<seq>); thread 0 is the main one, 1 is tsx's loader.
  const files = (await readdir(dir)).filter((name) => name.endsWith(".cpuprofile"))
  const file = files.find((name) => /\.\d+\.0\.\d+\.cpuprofile$/.test(name)) ?? files[0]
  if (file === undefined) throw new Error(`no .cpuprofile was written in ${dir} (did the server exit cleanly?)`)
  const profile: unknown = JSON.parse(await readFile(join(dir, file), "utf8"))
  if (!isProfile(profile)) throw new Error(`${file} is not a V8 CPU profile`)
  const byId = new Map(profile.nodes.map((node) => [node.id, node.callFrame]))
  const byFunction = new Map<string, number>()
  const byPackage = new Map<string, number>()
  let [busy, idle, at] = [0, 0, profile.startTime]
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0
    const frame = byId.get(id)
    const ms = (profile.timeDeltas[i + 1] ?? 0) / 1000 // DevTools' rule: a sample lasts until the next one
    if (frame === undefined || at < window.from || at > window.to) return
    if (frame.functionName === "(idle)") {
      idle += ms
      return
    }
    busy += ms
    const key = `${frame.functionName || "(anonymous)"}  ${shortFile(frame.url, frame.lineNumber)}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + ms)
    const pkg = packageOf(frame)
    byPackage.set(pkg, (byPackage.get(pkg) ?? 0) + ms)
  })
  if (busy === 0) throw new Error(`${file} has no samples within the load window`)
  const share = ((100 * busy) / (busy + idle)).toFixed(0)
  console.log(`\nCPU profile of the server: ${join(dir, file)} (open it in Chrome DevTools > Performance)`)
  console.log(
    `main thread during the measured run: busy ${busy.toFixed(0)} ms, idle ${idle.toFixed(0)} ms (${share}% busy)`,
  )
  console.log(`\ntop ${top} functions by self time (% of busy time):\n${table([...byFunction], busy, top)}`)
  console.log(`\nself time by package:\n${table([...byPackage], busy, byPackage.size)}`)
  return { busyMs: busy, idleMs: idle }
}
