import { spawn } from "node:child_process"
import { createRequire } from "node:module"

/** autocannon's CLI (its package main is the bin); run in its own process so it does not share the server's loop. */
const autocannonBin = createRequire(import.meta.url).resolve("autocannon")

export interface LoadOptions {
  readonly url: string
  /** GET unless given; `body` is sent as it is (set its content-type in `headers`). */
  readonly method?: "GET" | "POST"
  readonly body?: string
  readonly headers: Readonly<Record<string, string>>
  readonly connections: number
  readonly seconds: number
  /** Called with autocannon's process id once it is spawned. */
  readonly onSpawn?: (pid: number) => void
}

export interface LoadResult {
  readonly seconds: number
  readonly requestsPerSecond: number
  readonly total: number
  readonly ok200: number
  readonly non2xx: number
  readonly errors: number
  readonly timeouts: number
  readonly statusCodes: Readonly<Record<string, number>>
  readonly latency: { readonly p50: number; readonly p90: number; readonly p99: number; readonly max: number }
}

type Json = { readonly [key: string]: unknown }
const isObject = (value: unknown): value is Json => typeof value === "object" && value !== null

const num = (root: unknown, path: string): number => {
  const value = path.split(".").reduce<unknown>((at, key) => (isObject(at) ? at[key] : undefined), root)
  if (typeof value !== "number" || !Number.isFinite(value))
    throw new Error(`autocannon result has no number at ${path}`)
  return value
}

const parseResult = (text: string): LoadResult => {
  const json: unknown = JSON.parse(text)
  const stats = isObject(json) && isObject(json.statusCodeStats) ? json.statusCodeStats : {}
  const statusCodes = Object.fromEntries(Object.keys(stats).map((code) => [code, num(stats, `${code}.count`)]))
  return {
    seconds: num(json, "duration"),
    requestsPerSecond: num(json, "requests.mean"),
    total: num(json, "requests.total"),
    ok200: statusCodes["200"] ?? 0,
    non2xx: num(json, "non2xx"),
    errors: num(json, "errors"),
    timeouts: num(json, "timeouts"),
    statusCodes,
    latency: {
      p50: num(json, "latency.p50"),
      p90: num(json, "latency.p90"),
      p99: num(json, "latency.p99"),
      max: num(json, "latency.max"),
    },
  }
}

/** One autocannon run against 127.0.0.1 for a fixed time; it stops by itself (or on abort). */
export const runLoad = (options: LoadOptions, signal: AbortSignal): Promise<LoadResult> => {
  if (new URL(options.url).hostname !== "127.0.0.1") return Promise.reject(new Error("the load targets 127.0.0.1 only"))
  const headers = Object.entries(options.headers).flatMap(([key, value]) => ["-H", `${key}=${value}`])
  const request = [...["-m", options.method ?? "GET"], ...(options.body === undefined ? [] : ["-b", options.body])]
  const args = [
    "--json",
    "-n",
    "-c",
    String(options.connections),
    "-d",
    String(options.seconds),
    ...request,
    ...headers,
  ]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [autocannonBin, ...args, options.url], {
      stdio: ["ignore", "pipe", "pipe"],
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "" },
      signal,
    })
    if (child.pid !== undefined) options.onSpawn?.(child.pid)
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    child.stderr.on("data", (chunk: Buffer) => {
      stderr += chunk.toString()
    })
    child.once("error", reject)
    child.once("close", (code) => {
      if (code !== 0) return reject(new Error(`autocannon exited with code ${code}: ${stderr.slice(-2_000)}`))
      try {
        resolve(parseResult(stdout))
      } catch (error) {
        reject(error)
      }
    })
  })
}
