import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { migrations } from "@userkit/adapters-postgres"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { userkitInProcess } from "./support/cliInProcess.js"
import { type CliRun, userkit } from "./support/cliProcess.js"
import { freshDatabase, testDatabaseUrl } from "./support/databases.js"
import { get, postJson } from "./support/http.js"
import { freePort, type ServerProcess, startServer } from "./support/serverProcess.js"

const tempDirs: Array<string> = []
const tempDir = async () => {
  const dir = await mkdtemp(join(tmpdir(), "userkit-cli-"))
  tempDirs.push(dir)
  return dir
}
afterAll(() => Promise.all(tempDirs.map((dir) => rm(dir, { recursive: true, force: true }))))

const printed = (run: CliRun) => run.stdout + run.stderr

// Other migrations will come: the expected output follows the package's own list.
const labels = migrations.map((m) => `${String(m.version).padStart(4, "0")} ${m.name}`)
const latest = labels.at(-1) ?? ""
const allApplied = labels.map((label) => `applied ${label}\n`).join("")

// Most commands run in this process (`userkitInProcess`: main.ts's `cli` and exit code, the output
// captured), which saves a process start (some 2.5 s of tsx and module loading) each. A process is
// started where it is what is tested: a password piped on standard input, exit codes as a shell sees
// them, what a failing process prints. The two long flows run side by side (their in-process commands
// take turns), hence the local `expect`; then the quick refusals.
describe.concurrent("userkit migrate on the embedded engine", () => {
  it("status exits 1 while migrations are pending and 0 once up applied them; down reverts the latest", async ({
    expect,
  }) => {
    const env = { DATA_DIR: await tempDir() }

    const fresh = await userkitInProcess(["migrate", "status"], env)
    expect(fresh).toMatchObject({
      code: 1,
      stdout: `applied: none\npending:\n${labels.map((label) => `  ${label}\n`).join("")}`,
      stderr: `userkit: ${labels.length} migration(s) pending: run \`userkit migrate up\`\n`,
    })

    expect(await userkitInProcess(["migrate", "up"], env)).toMatchObject({ code: 0, stdout: allApplied })
    const current = await userkitInProcess(["migrate", "status"], env)
    expect(current.code).toBe(0)
    for (const label of labels) expect(current.stdout).toMatch(new RegExp(`\n  ${label}  \\d{4}-\\d\\d-\\d\\dT`))
    expect(current.stdout).toMatch(/\npending: none\nthe database is current\n$/)

    expect(await userkitInProcess(["migrate", "down"], env)).toMatchObject({ code: 0, stdout: `reverted ${latest}\n` })
    expect(await userkitInProcess(["migrate", "up"], env)).toMatchObject({ code: 0, stdout: `applied ${latest}\n` })
  }, 120_000)
})

describe.runIf(testDatabaseUrl !== undefined).concurrent("userkit on PostgreSQL", () => {
  let env: Record<string, string>
  let drop: (() => Promise<void>) | undefined
  let server: ServerProcess | undefined
  const byVariable = "root passphrase, from the environment"
  const byStdin = "ops passphrase, piped on stdin ü"

  beforeAll(async () => {
    const db = await freshDatabase(testDatabaseUrl ?? "")
    drop = db.drop
    env = { DATA_DIR: await tempDir(), DATABASE_URL: db.url }
  })
  afterAll(async () => {
    await server?.stop("SIGKILL")
    await drop?.()
  })

  const logIn = async (url: string, username: string, password: string) => {
    const login = await postJson(`${url}/api/v1/auth/login`, { username, password })
    const token = String(login.json.access_token)
    return { status: login.status, token, me: (await get(`${url}/api/v1/auth/me`, token)).json }
  }

  const create = (email: string, username: string) =>
    userkitInProcess(["create-superuser", "--email", email, "--username", username], {
      ...env,
      USERKIT_SUPERUSER_PASSWORD: byVariable,
    })

  it("migrates a new database and creates superusers who log in to the server, once per email", async ({ expect }) => {
    expect(await userkitInProcess(["migrate", "up"], env)).toMatchObject({ code: 0, stdout: allApplied })
    const again = await userkitInProcess(["migrate", "up"], env)
    expect(again).toMatchObject({ code: 0, stdout: "already current: no migration to apply\n" })
    const top = String(migrations.at(-1)?.version)
    expect(await userkitInProcess(["migrate", "down", "--to", top], env)).toMatchObject({
      code: 0,
      stdout: "nothing to revert\n",
    })

    const root = await create("Root@Example.com", "root")
    expect(root).toMatchObject({ code: 0, stdout: expect.stringMatching(/^created superuser root <Root@Example.com>/) })
    // A process of its own, for its piped password; the server starts meanwhile (nothing left to migrate).
    const [ops, started] = await Promise.all([
      userkit(["create-superuser", "--email", "ops@example.com", "--username", "ops"], env, `${byStdin}\n`),
      startServer(env),
    ])
    server = started
    expect(ops).toMatchObject({ code: 0, stdout: expect.stringMatching(/^created superuser ops <ops@example.com>/) })
    for (const run of [root, ops]) expect(printed(run)).not.toMatch(/passphrase/)

    const superuser = (username: string) => ({ status: 200, me: { username, is_active: true, is_superuser: true } })
    expect(await logIn(server.url, "root", byVariable)).toMatchObject(superuser("root"))
    expect(await logIn(server.url, "ops", byStdin)).toMatchObject(superuser("ops"))
    // ... and may list every account.
    const { token } = await logIn(server.url, "root", byVariable)
    const everyone = await get(`${server.url}/api/v1/admin/users?sort=username`, token)
    expect(everyone.status).toBe(200)
    expect(everyone.json).toMatchObject({ total: 2, items: [{ username: "ops" }, { username: "root" }] })

    // A second superuser with a taken email or username: exit 1, nothing created.
    const sameEmail = await create("root@EXAMPLE.com", "root2")
    expect(sameEmail).toMatchObject({ code: 1, stdout: "" })
    expect(sameEmail.stderr).toBe("userkit: the email root@EXAMPLE.com is already registered: no account was created\n")
    const sameUsername = await create("root2@example.com", "ROOT")
    expect(sameUsername).toMatchObject({
      code: 1,
      stderr: expect.stringContaining("the username ROOT is already taken"),
    })
    expect(printed(sameEmail) + printed(sameUsername)).not.toMatch(/passphrase/)
    expect((await logIn(server.url, "root2", byVariable)).status).toBe(401)
  }, 120_000)
})

describe("userkit refusing to run", () => {
  it("answers --help at every level", async () => {
    const [all, down, create] = await Promise.all([
      userkitInProcess(["--help"], {}),
      userkitInProcess(["migrate", "down", "--help"], {}),
      userkitInProcess(["create-superuser", "--help"], {}),
    ])
    for (const run of [all, down, create])
      expect(run).toMatchObject({ code: 0, stdout: expect.stringContaining("USAGE") })
    for (const usage of [
      "migrate up",
      "migrate down [--to N]",
      "migrate status",
      "create-superuser --email EMAIL --username USERNAME",
    ])
      expect(all.stdout).toContain(usage)
    expect(down.stdout).toContain("every one above version N")
    expect(create.stdout).toContain("USERKIT_SUPERUSER_PASSWORD")
  })

  it("exits 2 on a bad configuration (naming the variable), a missing command, or the memory store", async () => {
    const [badCost, noCommand, memory] = await Promise.all([
      userkitInProcess(["migrate", "status"], { BCRYPT_COST: "2" }),
      userkitInProcess(["migrate"], {}),
      userkitInProcess(["migrate", "up"], { USERKIT_STORE: "memory" }),
    ])
    expect(badCost).toMatchObject({ code: 2, stdout: "" })
    expect(badCost.stderr).toContain('Invalid configuration: Invalid data at BCRYPT_COST: "must be a whole number')
    expect(noCommand).toMatchObject({ code: 2, stderr: expect.stringContaining("missing subcommand") })
    expect(memory).toMatchObject({ code: 2, stderr: expect.stringContaining("nothing to migrate") })
  })

  it("exits 1 with one line, neither URL nor password, when the database cannot be reached", async () => {
    const env = {
      DATABASE_URL: `postgres://operator:hunter2-secret@127.0.0.1:${await freePort()}/userkit`,
      USERKIT_SUPERUSER_PASSWORD: "a long enough passphrase",
    }
    // The one through a process shows what a shell would see; the other runs here.
    const runs = await Promise.all([
      userkit(["migrate", "status"], env),
      userkitInProcess(["create-superuser", "--email", "root@example.com", "--username", "root"], env),
    ])
    for (const run of runs) {
      expect(run).toMatchObject({ code: 1, stdout: "" })
      expect(run.stderr).toMatch(/^userkit: PgClient: Failed to connect: .*ECONNREFUSED.*\n$/)
      expect(run.stderr).not.toMatch(/hunter2|postgres:\/\/|passphrase/)
    }
  })

  it("create-superuser exits 2 naming the wrong field, never printing the password", async () => {
    const env = { DATA_DIR: await tempDir() }
    const create = (email: string, input?: string) =>
      userkit(["create-superuser", "--email", email, "--username", "root"], env, input)
    const [badEmail, shortPassword, noPassword] = await Promise.all([
      create("root@", "long enough pw\n"),
      create("root@example.com", "hush7\n"),
      create("root@example.com"),
    ])
    expect(badEmail).toMatchObject({
      code: 2,
      stderr: "userkit: invalid email: email must be a valid e-mail address\n",
    })
    expect(shortPassword).toMatchObject({
      code: 2,
      stderr: "userkit: invalid password: password must be at least 8 characters\n",
    })
    expect(printed(shortPassword)).not.toContain("hush7")
    expect(noPassword).toMatchObject({ code: 2, stderr: expect.stringContaining("no password") })
  })
})
