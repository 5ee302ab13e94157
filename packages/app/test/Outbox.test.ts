import { mkdtemp, readdir, rm, stat } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { postJson, send } from "./support/http.js"
import { eventually, linkIn, outboxMessages, tokenOf } from "./support/mail.js"
import { type ServerProcess, spawnServer, startServer } from "./support/serverProcess.js"

// Without SMTP_URL: in development mail goes to files under DATA_DIR/outbox; in production there
// is nowhere for it to go, so what must mail a link refuses up front, and a setting that needs
// mail (REQUIRE_EMAIL_VERIFICATION) stops the start.

const PUBLIC_URL = "http://dev.example.test:3000"
const password = "a long enough passphrase"
const SECRET_KEY = "a production secret key that is long enough"

describe("mail without SMTP_URL", () => {
  const dirs: Array<string> = []
  let devDir: string
  let prodDir: string
  let development: ServerProcess
  let production: ServerProcess
  let refusedStart: { code: number | null; output: string }

  const tempDir = async () => {
    const dir = await mkdtemp(join(tmpdir(), "userkit-outbox-"))
    dirs.push(dir)
    return dir
  }

  const exitOf = async (env: Record<string, string>) => {
    const { child, output } = spawnServer(env)
    // "close", not "exit": the output is complete only once its pipes are.
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve))
    return { code, output: output() }
  }

  beforeAll(async () => {
    let refusedDir: string
    ;[devDir, prodDir, refusedDir] = await Promise.all([tempDir(), tempDir(), tempDir()])
    const memory = { USERKIT_STORE: "memory" }
    ;[development, production, refusedStart] = await Promise.all([
      startServer({ ...memory, DATA_DIR: devDir, PUBLIC_URL }),
      startServer({ ...memory, DATA_DIR: prodDir, NODE_ENV: "production", SECRET_KEY }),
      exitOf({
        ...memory,
        DATA_DIR: refusedDir,
        NODE_ENV: "production",
        SECRET_KEY,
        REQUIRE_EMAIL_VERIFICATION: "true",
      }),
    ])
  }, 120_000)

  afterAll(async () => {
    await Promise.all([development?.stop("SIGKILL"), production?.stop("SIGKILL")])
    await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })))
  })

  const register = async (server: ServerProcess, username: string) => {
    const email = `${username}@example.com`
    const created = await postJson(`${server.url}/api/v1/auth/register`, { email, username, password })
    expect(created.status).toBe(201)
    return email
  }

  it("in development, writes the reset mail to DATA_DIR/outbox, owner-readable only, and logs who and what, not the link", async () => {
    const email = await register(development, "olive")
    const asked = await postJson(`${development.url}/api/v1/auth/password/forgot`, { email })
    expect(asked.status).toBe(202)

    const outbox = join(devDir, "outbox")
    const written = await eventually("the reset mail in the outbox", async () =>
      (await outboxMessages(outbox)).find(({ mail }) => mail.subject === "Reset your password"),
    )
    expect(written.mail.to).toMatchObject({ value: [{ address: email }] })
    const link = linkIn(written.mail.text, `${PUBLIC_URL}/reset-password?token=`) ?? ""
    expect(written.mail.html).toContain(`<a href="${link}">`)
    const token = tokenOf(link)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    expect((await stat(written.file)).mode & 0o777).toBe(0o600)

    const logged = await eventually("the outbox's log line", () =>
      development
        .output()
        .split("\n")
        .find((line) => line.includes("mail written to the outbox") && line.includes("Reset your password")),
    )
    expect(logged).toContain(`to=${email}`)
    expect(logged).toContain(written.file)
    expect(development.output()).not.toContain(token)
    expect(development.output()).not.toContain("token=")

    // The link in the file is the live one.
    const reset = await postJson(`${development.url}/api/v1/auth/password/reset`, {
      token,
      new_password: "a new passphrase!",
    })
    expect(reset.status).toBe(204)
  })

  it("in production, answers forgot and verify/request with a 503 mail_unavailable and Retry-After, but still registers", async () => {
    const api = (path: string) => `${production.url}/api/v1${path}`
    const email = await register(production, "pat")
    const login = await postJson(api("/auth/login"), { username: "pat", password })
    expect(login.status).toBe(200)

    const answers = [
      await postJson(api("/auth/password/forgot"), { email }),
      await postJson(api("/auth/password/forgot"), { email: "nobody@example.com" }),
      await send("POST", api("/auth/email/verify/request"), { token: String(login.json.access_token) }),
    ]
    for (const answer of answers) {
      expect(answer.status).toBe(503)
      expect(answer.contentType).toBe("application/problem+json")
      expect(answer.json.code).toBe("mail_unavailable")
      expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0)
    }
    // Alike for an address with an account and one without.
    expect(answers[0]?.text).toBe(answers[1]?.text)
    expect(await readdir(prodDir)).not.toContain("outbox")
  })

  it("refuses to start in production with REQUIRE_EMAIL_VERIFICATION and no SMTP_URL, naming both", () => {
    expect(refusedStart.code).toBe(1)
    expect(refusedStart.output).toMatch(/userkit could not start: .*REQUIRE_EMAIL_VERIFICATION.*SMTP_URL/)
  })
})
