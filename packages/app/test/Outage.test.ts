import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { adminQuery, freshDatabase, testDatabaseUrl } from "./support/databases.js"
import { type Answer, get, postForm, postJson } from "./support/http.js"
import { type ServerProcess, startServer } from "./support/serverProcess.js"

/** An answer and how long it took, in milliseconds. */
const timed = async (request: Promise<Answer>) => {
  const started = Date.now()
  const answer = await request
  return { answer, ms: Date.now() - started }
}

const expectUnavailable = ({ answer, ms }: { answer: Answer; ms: number }, code: string) => {
  expect(answer.status, answer.text).toBe(503)
  expect(answer.contentType).toBe("application/problem+json")
  expect(answer.json.code).toBe(code)
  expect(answer.headers.get("retry-after")).toMatch(/^\d+$/)
  expect(ms).toBeLessThan(1500)
}

// The app on a real PostgreSQL whose database stops taking connections, then takes them again.
describe.runIf(testDatabaseUrl !== undefined)("the server process while PostgreSQL refuses connections", () => {
  const adminUrl = testDatabaseUrl ?? ""
  let database: Awaited<ReturnType<typeof freshDatabase>>
  let dataDir: string
  let server: ServerProcess

  /** Refuses or allows new connections to the app's database; refusing also ends the ones it has. */
  const allowConnections = async (allow: boolean) => {
    await adminQuery(adminUrl, `ALTER DATABASE ${database.name} ALLOW_CONNECTIONS ${allow}`)
    if (!allow)
      await adminQuery(
        adminUrl,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
        [database.name],
      )
  }

  beforeAll(async () => {
    database = await freshDatabase(adminUrl)
    dataDir = await mkdtemp(join(tmpdir(), "userkit-outage-"))
    server = await startServer({ DATABASE_URL: database.url, DATA_DIR: dataDir })
  }, 120_000)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await allowConnections(true)
    await database.drop()
    await rm(dataDir, { recursive: true, force: true })
  })

  it("answers 503 with Retry-After within a second, and serves again once the database is back, without a restart", async () => {
    const credentials = { username: "grace", password: "a long enough passphrase" }
    const registered = await postJson(`${server.url}/api/v1/auth/register`, {
      ...credentials,
      email: "grace@example.com",
    })
    expect(registered.status, registered.text).toBe(201)
    const login = await postForm(`${server.url}/api/v1/auth/login`, credentials)
    expect(login.status, login.text).toBe(200)
    const token = String(login.json.access_token)

    await allowConnections(false)
    expectUnavailable(await timed(get(`${server.url}/api/v1/auth/me`, token)), "store_unavailable")
    expectUnavailable(await timed(get(`${server.url}/ready`)), "not_ready")
    expectUnavailable(await timed(postForm(`${server.url}/api/v1/auth/login`, credentials)), "store_unavailable")

    await allowConnections(true)
    const me = await get(`${server.url}/api/v1/auth/me`, token)
    expect(me.status, me.text).toBe(200)
    expect(me.json.username).toBe("grace")
    expect((await get(`${server.url}/ready`)).status).toBe(200)

    // The outage was logged as warnings naming the store, without a stack or the caller's secrets.
    const output = server.output()
    expect(output).toContain("store unavailable")
    expect(output).not.toMatch(/\n\s+at /)
    expect(output).not.toContain(token)
    expect(output).not.toContain(credentials.password)
  }, 60_000)
})
