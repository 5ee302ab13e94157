import { type ChildProcess, spawn } from "node:child_process"
import { request as httpRequest } from "node:http"
import { createServer } from "node:net"
import { fileURLToPath } from "node:url"

const appDir = fileURLToPath(new URL("../..", import.meta.url))

export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer()
    probe.once("error", reject)
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address()
      const port = typeof address === "object" && address !== null ? address.port : 0
      probe.close(() => resolve(port))
    })
  })

export interface ServerProcess {
  readonly url: string
  /** Everything the process printed so far, stdout and stderr. */
  readonly output: () => string
  /** Sends the signal and resolves with the exit code. */
  readonly stop: (signal?: NodeJS.Signals) => Promise<number | null>
  readonly exited: Promise<number | null>
  /** The process's id (with WEB_CONCURRENCY > 1, the primary's). */
  readonly pid: number
}

/** Runs `src/main.ts` exactly as `pnpm start` does, with only the given environment. */
export const spawnServer = (env: Record<string, string>): { child: ChildProcess; output: () => string } => {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: appDir,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", NODE_ENV: "development", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  })
  let output = ""
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString()
  })
  return { child, output: () => output }
}

const exitOf = (child: ChildProcess): Promise<number | null> =>
  new Promise((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode)
    else child.once("exit", (code) => resolve(code))
  })

/** Starts the server and waits until `/health` answers. */
export const startServer = async (env: Record<string, string>, timeoutMs = 60_000): Promise<ServerProcess> => {
  const port = await freePort()
  const { child, output } = spawnServer({
    HOST: "127.0.0.1",
    PORT: String(port),
    BCRYPT_COST: "4",
    // Tests register many users from one address; the limits have tests of their own.
    RATE_LIMIT_ENABLED: "false",
    ...env,
  })
  const url = `http://127.0.0.1:${port}`
  const exited = exitOf(child)
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}:\n${output()}`)
    if (Date.now() > deadline) {
      child.kill("SIGKILL")
      throw new Error(`server did not become healthy in ${timeoutMs} ms:\n${output()}`)
    }
    const healthy = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    )
    if (healthy) break
    await new Promise((r) => setTimeout(r, 100))
  }
  return {
    url,
    output,
    exited,
    pid: child.pid ?? 0,
    stop: (signal = "SIGTERM") => {
      child.kill(signal)
      return exited
    },
  }
}

/**
 * A registration whose body arrives in two halves with SIGTERM sent to `server` between them, so the
 * request is truly in flight when the stop begins: its status, and the server's exit.
 */
export const registerAcrossStop = (server: ServerProcess, body: string) =>
  new Promise<{ status: number; exit: Promise<number | null> }>((resolve, reject) => {
    let exit: Promise<number | null> = Promise.resolve(null)
    const request = httpRequest(`${server.url}/api/v1/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
    })
    request.on("response", (response) => {
      response.resume()
      resolve({ status: response.statusCode ?? 0, exit })
    })
    request.on("error", reject)
    request.write(body.slice(0, 10))
    setTimeout(() => {
      exit = server.stop("SIGTERM")
      setTimeout(() => request.end(body.slice(10)), 300)
    }, 200)
  })
