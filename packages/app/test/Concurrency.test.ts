import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { userkit } from "./support/cliProcess.js"
import { get, postJson, send } from "./support/http.js"
import { type ServerProcess, startServer } from "./support/serverProcess.js"

// The server as `pnpm start` runs it by default: the embedded engine on a data directory. These
// are the two failures issue 7 reproduced through HTTP, under the load that showed them.
describe("the server on the embedded engine, under concurrent requests", () => {
  let dataDir: string
  let server: ServerProcess
  let root: string
  const password = "a long enough passphrase"
  const api = (path: string) => `${server.url}/api/v1${path}`

  const register = async (name: string) => {
    const created = await postJson(api("/auth/register"), { email: `${name}@example.com`, username: name, password })
    expect(created.status).toBe(201)
    const login = await postJson(api("/auth/login"), { username: name, password })
    return { id: String(created.json.id), email: `${name}@example.com`, token: String(login.json.access_token) }
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), "userkit-concurrency-"))
    const created = await userkit(["create-superuser", "--email", "root@example.com", "--username", "root"], {
      DATA_DIR: dataDir,
      USERKIT_SUPERUSER_PASSWORD: password,
    })
    expect(created.code).toBe(0)
    server = await startServer({ DATA_DIR: dataDir })
    root = String((await postJson(api("/auth/login"), { username: "root", password })).json.access_token)
  }, 120_000)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await rm(dataDir, { recursive: true, force: true })
  })

  /** Runs `step` over and over in `lanes` parallel loops until `until` settles; how many ran. */
  const meanwhile = async (lanes: number, until: Promise<unknown>, step: () => Promise<void>) => {
    let done = false
    void until.finally(() => {
      done = true
    })
    const counts = await Promise.all(
      Array.from({ length: lanes }, async () => {
        let count = 0
        while (!done) {
          await step()
          count++
        }
        return count
      }),
    )
    return counts.reduce((a, b) => a + b, 0)
  }

  it("answers every user's /auth/me with their own record while a superuser's deletes run transactions", async () => {
    const users = await Promise.all(["ann", "ben", "cat", "dan"].map(register))
    const statuses: Array<number> = []
    // Waves of 4 x 50 concurrent /auth/me, as the reproduction sent them.
    const reads = (async () => {
      const answers = []
      for (let wave = 0; wave < 5; wave++) {
        answers.push(
          ...(await Promise.all(
            users.flatMap((user) =>
              Array.from({ length: 50 }, async () => ({ user, answer: await get(api("/auth/me"), user.token) })),
            ),
          )),
        )
      }
      return answers
    })()
    // Each delete of an unknown id runs the last-superuser guard's transaction.
    const deletes = await meanwhile(4, reads, async () => {
      statuses.push((await send("DELETE", api(`/admin/users/${crypto.randomUUID()}`), { token: root })).status)
    })
    const wrong = (await reads).filter(
      ({ user, answer }) => answer.status !== 200 || answer.json.id !== user.id || answer.json.email !== user.email,
    )
    expect(wrong.map(({ answer }) => (answer.status === 200 ? "another user's record" : answer.status))).toEqual([])
    expect(deletes).toBeGreaterThan(10)
    expect(new Set(statuses)).toEqual(new Set([404]))
  }, 120_000)

  it("never lets a user's own profile edits undo an administrator's demotion or deactivation", async () => {
    const decisions = Array.from({ length: 6 }, (_, i) =>
      i % 2 === 0 ? { is_superuser: false } : { is_active: false },
    )
    let reverted = 0
    for (const [round, decision] of decisions.entries()) {
      const target = await register(`target${round}`)
      const promoted = await send("PATCH", api(`/admin/users/${target.id}`), {
        token: root,
        body: { is_superuser: true },
      })
      expect(promoted.status).toBe(200)
      // The decision lands while the user's edits keep coming, each loaded before it and written after.
      const decided = new Promise((resolve) => setTimeout(resolve, 150)).then(() =>
        send("PATCH", api(`/admin/users/${target.id}`), { token: root, body: decision }),
      )
      const edits = await meanwhile(
        6,
        decided.then(() => new Promise((resolve) => setTimeout(resolve, 150))),
        async () => {
          await send("PATCH", api("/users/me"), { token: target.token, body: { bio: `edit ${Math.random()}` } })
        },
      )
      expect((await decided).status).toBe(200)
      expect(edits).toBeGreaterThan(6)
      const after = await get(api(`/admin/users/${target.id}`), root)
      const expected = { is_active: true, is_superuser: true, ...decision }
      if (after.json.is_active !== expected.is_active || after.json.is_superuser !== expected.is_superuser) reverted++
    }
    expect(reverted).toBe(0)
  }, 120_000)
})
