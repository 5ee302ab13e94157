import { spawn } from "node:child_process"
import { randomBytes } from "node:crypto"
import { createServer } from "node:net"
import { setTimeout as sleep } from "node:timers/promises"
import { fileURLToPath } from "node:url"
import { type BenchDatabase, createDatabase } from "./database.js"

/** packages/app: the server runs from there, as `pnpm start` runs it (the bench only spawns it, never imports it). */
export const appDir = fileURLToPath(new URL("../../../packages/app/", import.meta.url))

const STARTUP_MS = 60_000
const STOP_MS = 20_000
const ECHO_LINES = 20

export interface ServerOptions {
  readonly databaseUrl: string
  /** When set, the server runs with --cpu-prof and writes its profile here on exit. */
  readonly cpuProfileDir: string | undefined
  readonly logLevel: "warn" | "info"
  /** The server's BCRYPT_COST; 10 unless given. */
  readonly bcryptCost?: number
  /** More of the server's environment. */
  readonly env?: Readonly<Record<string, string>>
}

export interface RunningServer {
  readonly baseUrl: string
  /** The server's process id (for its CPU time in /proc). */
  readonly pid: number | undefined
  /** SIGTERM, wait for the exit (SIGKILL after 20 s); resolves to the exit code, or null if killed. */
  readonly stop: () => Promise<number | null>
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => (port > 0 ? resolve(port) : reject(new Error("could not find a free port"))))
    })
  })

const healthy = async (baseUrl: string) => {
  try {
    const response = await fetch(`${baseUrl}/health`, { signal: AbortSignal.timeout(2_000) })
    await response.arrayBuffer()
    return response.status === 200
  } catch {
    return false
  }
}

/** The lines every bench prints about how its server runs. */
export const printServerSetup = (logLevel: ServerOptions["logLevel"], bcryptCost = 10) => {
  console.log(
    `  node ${process.version}; server: node --import tsx src/main.ts, NODE_ENV=production, BCRYPT_COST=${bcryptCost}`,
  )
  console.log(
    logLevel === "info"
      ? "  LOG_LEVEL=info: one JSON log line per request, as in production"
      : "  LOG_LEVEL=warn: no per-request log lines (--log-level info adds them)",
  )
}

/** Starts one server process on a free port of 127.0.0.1 and waits until GET /health answers 200. */
export const startServer = async (options: ServerOptions, signal: AbortSignal): Promise<RunningServer> => {
  const port = await freePort()
  const profiling = options.cpuProfileDir === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${options.cpuProfileDir}`]
  const child = spawn(process.execPath, [...profiling, "--import", "tsx", "src/main.ts"], {
    cwd: appDir,
    stdio: ["ignore", "pipe", "pipe"],
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      NODE_ENV: "production",
      SECRET_KEY: randomBytes(48).toString("base64"),
      DATABASE_URL: options.databaseUrl,
      PORT: String(port),
      HOST: "127.0.0.1",
      LOG_LEVEL: options.logLevel,
      BCRYPT_COST: String(options.bcryptCost ?? 10),
      // A bench is one client hammering from one address: the limits would answer it 429.
      RATE_LIMIT_ENABLED: "false",
      ...options.env,
    },
  })
  // Echo what the server says, a bounded number of lines.
  let echoed = 0
  const echo = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) {
      if (line.trim() === "" || echoed > ECHO_LINES) continue
      echoed += 1
      process.stderr.write(echoed > ECHO_LINES ? "  [server] (further output not shown)\n" : `  [server] ${line}\n`)
    }
  }
  child.stdout.on("data", echo)
  child.stderr.on("data", echo)
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)))

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode
    child.kill("SIGTERM")
    const timer = setTimeout(() => child.kill("SIGKILL"), STOP_MS)
    const code = await exited
    clearTimeout(timer)
    return code
  }

  const baseUrl = `http://127.0.0.1:${port}`
  const deadline = Date.now() + STARTUP_MS
  while (!(await healthy(baseUrl))) {
    if (child.exitCode !== null || child.signalCode !== null)
      throw new Error(`the server exited during startup (code ${child.exitCode ?? child.signalCode})`)
    if (signal.aborted || Date.now() > deadline) {
      await stop()
      throw signal.aborted ? signal.reason : new Error(`GET /health did not answer 200 within ${STARTUP_MS / 1000} s`)
    }
    await sleep(200)
  }
  return { baseUrl, pid: child.pid, stop }
}

/**
 * A fresh database and one server on it for `use`; then, whatever happened (an error, Ctrl-C), the server
 * is stopped (an exit code other than 0 fails the bench) and the database dropped. Returns what `use` did.
 */
export const withBenchServer = async <A>(
  options: Omit<ServerOptions, "databaseUrl">,
  signal: AbortSignal,
  use: (server: RunningServer, database: BenchDatabase) => Promise<A>,
): Promise<A> => {
  const database = await createDatabase()
  console.log(`  database: ${database.name} on the local PostgreSQL (dropped at the end)`)
  const failures: Array<unknown> = []
  let done: { readonly value: A } | undefined
  try {
    const server = await startServer({ ...options, databaseUrl: database.url }, signal)
    try {
      console.log(`  server: ${server.baseUrl}${options.cpuProfileDir === undefined ? "" : " (with --cpu-prof)"}`)
      done = { value: await use(server, database) }
    } finally {
      const code = await server.stop()
      if (code !== 0) failures.push(new Error(`the server exited with code ${code} on SIGTERM`))
    }
  } catch (error) {
    failures.unshift(error)
  }
  await database.drop().catch((error: unknown) => {
    console.error(`could not drop database ${database.name}: ${String(error)}`)
    failures.push(error)
  })
  if (done === undefined || failures.length > 0) throw failures[0]
  return done.value
}
