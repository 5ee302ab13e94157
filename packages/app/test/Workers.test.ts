import { execFileSync } from "node:child_process"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabase, testDatabaseUrl } from "./support/databases.js"
import { get, postForm, postJson } from "./support/http.js"
import { eventually } from "./support/mail.js"
import { registerAcrossStop, type ServerProcess, startServer } from "./support/serverProcess.js"

const password = "a long enough passphrase"

/** The node processes `pid` started (its cluster workers; tsx's esbuild service is another child). */
const childrenOf = (pid: number): ReadonlyArray<number> => {
  try {
    return execFileSync("ps", ["-o", "pid=,comm=", "--ppid", String(pid)], { encoding: "utf8" })
      .split("\n")
      .map((line) => line.trim().split(/\s+/))
      .filter(([, command]) => command === "node")
      .map(([child]) => Number(child))
  } catch {
    return []
  }
}

const listening = (output: string) => output.split("\n").filter((line) => line.includes("Listening on")).length

describe.runIf(testDatabaseUrl !== undefined)("WEB_CONCURRENCY=2: two workers on one port and one PostgreSQL", () => {
  let server: ServerProcess
  let drop: () => Promise<void> = async () => {}
  const api = (path: string) => `${server.url}/api/v1${path}`

  beforeAll(async () => {
    const db = await freshDatabase(testDatabaseUrl ?? "")
    drop = db.drop
    server = await startServer({
      DATABASE_URL: db.url,
      SECRET_KEY: "a test secret key of at least thirty-two bytes",
      WEB_CONCURRENCY: "2",
    })
  }, 120_000)

  afterAll(async () => {
    if (server !== undefined) await server.stop("SIGKILL")
    await drop()
  })

  it("serves from two worker processes, each migrated and listening, with one set of accounts and keys", async () => {
    await eventually("two workers listening", () => (listening(server.output()) >= 2 ? true : undefined), 30_000)
    expect(childrenOf(server.pid)).toHaveLength(2)
    expect(
      (await postJson(api("/auth/register"), { email: "worker@example.com", username: "worker", password })).status,
    ).toBe(201)
    const login = await postForm(api("/auth/login"), { username: "worker", password })
    expect(login.status).toBe(200)
    // Round-robin: these land on both workers; each verifies the other's tokens (keys in the store).
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => get(api("/auth/me"), String(login.json.access_token))),
    )
    expect(answers.map((answer) => answer.status)).toEqual(Array(20).fill(200))
  }, 60_000)

  it("replaces a worker that dies, and keeps serving meanwhile", async () => {
    const [victim] = childrenOf(server.pid)
    expect(victim).toBeDefined()
    process.kill(victim ?? 0, "SIGKILL")
    await eventually("a new worker", () => (listening(server.output()) >= 3 ? true : undefined), 30_000)
    expect(server.output()).toContain("starting another")
    const workers = childrenOf(server.pid)
    expect(workers).toHaveLength(2)
    expect(workers).not.toContain(victim)
    expect((await fetch(`${server.url}/health`)).status).toBe(200)
  }, 60_000)

  it("drains every worker on SIGTERM: a request in flight finishes, then the primary exits 0", async () => {
    const workers = childrenOf(server.pid)
    const body = JSON.stringify({ email: "late@example.com", username: "late", password })
    const { status, exit } = await registerAcrossStop(server, body)
    expect(status).toBe(201)
    expect(await exit).toBe(0)
    for (const worker of workers) expect(() => process.kill(worker, 0)).toThrow()
    await expect(fetch(`${server.url}/health`)).rejects.toThrow()
  }, 60_000)
})
