import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { type DurableStore, durableStore, startWithSuperuser } from "./support/durableStore.js"
import { get, postJson, send } from "./support/http.js"
import { eventually, linkIn, type Received, startSmtpServer, type TestSmtpServer, tokenOf } from "./support/mail.js"
import type { ServerProcess } from "./support/serverProcess.js"

// Issue 11 through the running server and a real SMTP conversation: the mails a user receives,
// the links in them, what following them changes, and what happens when the mail server fails.
// Expiry is left to the use cases' tests, which control the clock.

const PUBLIC_URL = "https://accounts.example.test/app"
const MAIL_FROM = { name: "Userkit Accounts", address: "accounts@userkit.test" }
const SMTP_LOGIN = { user: "relay-user", password: "relay p@ss: 7" }
const RESET_SUBJECT = "Reset your password"
const VERIFY_SUBJECT = "Confirm your email address"
// A send stalls this long before it gives up: a forgot that waited for it could not answer in less.
const SMTP_TIMEOUT_MS = 500
const password = "a long enough passphrase"
const newPassword = "another long passphrase"
const root = { email: "root@example.com", username: "root", password }

describe("account recovery over SMTP, with verified addresses required", () => {
  let store: DurableStore
  let smtp: TestSmtpServer
  let server: ServerProcess
  let rootToken: string
  const api = (path: string) => `${server.url}/api/v1${path}`

  beforeAll(async () => {
    store = await durableStore()
    smtp = await startSmtpServer({ ...SMTP_LOGIN, refuse: (recipient) => recipient.endsWith("@refused.example") })
    server = await startWithSuperuser(
      store,
      {
        SMTP_URL: smtp.url,
        MAIL_FROM: `${MAIL_FROM.name} <${MAIL_FROM.address}>`,
        SMTP_TIMEOUT_MS: String(SMTP_TIMEOUT_MS),
        PUBLIC_URL,
        REQUIRE_EMAIL_VERIFICATION: "true",
      },
      root,
    )
    rootToken = String((await login(root.username, password)).json.access_token)
  }, 120_000)

  afterAll(async () => {
    await server?.stop("SIGKILL")
    await smtp?.close()
    await store?.cleanup()
  })

  const login = (username: string, secret: string) => postJson(api("/auth/login"), { username, password: secret })
  const forgot = (email: string) => postJson(api("/auth/password/forgot"), { email })
  const reset = (token: string, secret = newPassword) =>
    postJson(api("/auth/password/reset"), { token, new_password: secret })

  const register = async (username: string, domain = "example.com") => {
    const email = `${username}@${domain}`
    const created = await postJson(api("/auth/register"), { email, username, password })
    expect(created.status).toBe(201)
    return { id: String(created.json.id), email, username }
  }

  /** The link of the message to `email` about `subject`, checked to point under PUBLIC_URL. */
  const linkMailed = async (email: string, subject: string, page: string) => {
    const message = await smtp.waitForMail(email, subject)
    const link = linkIn(message.mail.text, `${PUBLIC_URL}/${page}?token=`)
    expect(link, message.mail.text).toBeDefined()
    return { message, link: link ?? "", token: tokenOf(link ?? "") }
  }

  /** Registered, the mailed link followed, logged in. */
  const signUp = async (username: string) => {
    const user = await register(username)
    const { token } = await linkMailed(user.email, VERIFY_SUBJECT, "verify-email")
    expect((await postJson(api("/auth/email/verify"), { token })).status).toBe(204)
    const session = await login(username, password)
    expect(session.status).toBe(200)
    return { ...user, access: String(session.json.access_token), refresh: String(session.json.refresh_token) }
  }

  it("mails a verification link on registration; the login is a 403 until it is followed, a 200 after", async () => {
    const carol = await register("carol")
    const first = await linkMailed(carol.email, VERIFY_SUBJECT, "verify-email")
    const refused = await login("carol", password)
    expect(refused.status).toBe(403)
    expect(refused.json.code).toBe("email_not_verified")

    // The refused login (right password) mailed a new link, which voids the first.
    const second = await eventually("a second verification link", () => {
      const links = smtp
        .received()
        .filter((message) => message.rcptTo.includes(carol.email) && message.mail.subject === VERIFY_SUBJECT)
      return links.length >= 2 ? links[links.length - 1] : undefined
    })
    const token = tokenOf(linkIn(second.mail.text, `${PUBLIC_URL}/verify-email?token=`) ?? "")
    const stale = await postJson(api("/auth/email/verify"), { token: first.token })
    expect([stale.status, stale.json.code]).toEqual([400, "token_invalid"])
    expect((await postJson(api("/auth/email/verify"), { token })).status).toBe(204)
    const again = await postJson(api("/auth/email/verify"), { token })
    expect([again.status, again.json.code]).toEqual([400, "token_used"])

    const admitted = await login("carol", password)
    expect(admitted.status).toBe(200)
    const me = await get(api("/auth/me"), String(admitted.json.access_token))
    expect(me.json).toMatchObject({ id: carol.id, email_verified: true })
    const requested = await send("POST", api("/auth/email/verify/request"), {
      token: String(admitted.json.access_token),
    })
    expect([requested.status, requested.json.code]).toEqual([409, "email_already_verified"])

    const audit = await get(api(`/admin/audit?user_id=${carol.id}&type=email_verified`), rootToken)
    expect(audit.status).toBe(200)
    expect(audit.json.items).toEqual([
      expect.objectContaining({ type: "email_verified", actor_id: carol.id, user_id: carol.id }),
    ])
  })

  it("resets a forgotten password by the mailed link: every session ends, the new password works, the link once", async () => {
    const dave = await signUp("dave")
    const other = await login("dave", password)
    const sessions = [
      { access: dave.access, refresh: dave.refresh },
      { access: String(other.json.access_token), refresh: String(other.json.refresh_token) },
    ]

    const asked = await forgot(dave.email)
    expect(asked.status).toBe(202)
    expect(asked.json).toEqual({
      detail: "If an active account has this email address, a link to reset its password is on its way.",
    })
    const { message, link, token } = await linkMailed(dave.email, RESET_SUBJECT, "reset-password")
    expect(message.rcptTo).toEqual([dave.email])
    expect(message.mail.from?.value).toEqual([MAIL_FROM])
    expect(message.mail.to).toMatchObject({ value: [{ address: dave.email }] })
    expect(message.mail.text).toContain(link)
    expect(message.mail.html).toContain(`<a href="${link}">`)
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/)
    // The server logged in with the URL's credentials (the test server requires them).
    expect(smtp.logins()).toContain(SMTP_LOGIN.user)

    expect((await reset(token)).status).toBe(204)
    for (const session of sessions) {
      expect((await get(api("/auth/me"), session.access)).status).toBe(401)
      expect((await postJson(api("/auth/refresh"), { refresh_token: session.refresh })).status).toBe(401)
    }
    expect((await login("dave", password)).status).toBe(401)
    expect((await login("dave", newPassword)).status).toBe(200)
    const again = await reset(token, "yet another long passphrase")
    expect([again.status, again.json.code]).toEqual([400, "token_used"])

    const events = await get(
      api(`/admin/audit?user_id=${dave.id}&type=password_reset_requested,password_reset_completed`),
      rootToken,
    )
    expect((events.json.items as Array<{ type: string }>).map((event) => event.type)).toEqual([
      "password_reset_completed",
      "password_reset_requested",
    ])
  })

  it("lets a user who never followed the verification link in through a reset: the reset link's address counts as verified", async () => {
    // The login's 403 offers no token, so /auth/email/verify/request is out of reach: this is the way back in.
    const henry = await register("henry")
    expect((await login("henry", password)).status).toBe(403)
    expect((await forgot(henry.email)).status).toBe(202)
    const { token } = await linkMailed(henry.email, RESET_SUBJECT, "reset-password")
    expect((await reset(token)).status).toBe(204)
    const admitted = await login("henry", newPassword)
    expect(admitted.status).toBe(200)
    expect((await get(api("/auth/me"), String(admitted.json.access_token))).json.email_verified).toBe(true)
  })

  it("refuses an unknown, malformed or verification token with a 400 token_invalid", async () => {
    const erin = await register("erin")
    // A live token, but minted to verify an address, not to reset a password.
    const { token: verification } = await linkMailed(erin.email, VERIFY_SUBJECT, "verify-email")
    for (const token of ["not a token", "A".repeat(43), verification]) {
      const refused = await reset(token)
      expect([refused.status, refused.json.code], token).toEqual([400, "token_invalid"])
      expect(refused.contentType).toContain("application/problem+json")
    }
    // The refusals spent nothing: the verification link still works.
    expect((await postJson(api("/auth/email/verify"), { token: verification })).status).toBe(204)
  })

  it("refuses oversized and malformed reset and verify requests with a 4xx, never a 500", async () => {
    const huge = "t".repeat(10_000)
    expect((await reset(huge)).status).toBe(422)
    expect((await postJson(api("/auth/email/verify"), { token: huge })).status).toBe(422)
    const malformed: ReadonlyArray<[string, RequestInit]> = [
      ["no body", { method: "POST" }],
      ["empty JSON", { method: "POST", headers: { "content-type": "application/json" }, body: "" }],
      ["an empty object", { method: "POST", headers: { "content-type": "application/json" }, body: "{}" }],
      ["broken JSON", { method: "POST", headers: { "content-type": "application/json" }, body: '{"token":' }],
      ["a number", { method: "POST", headers: { "content-type": "application/json" }, body: "42" }],
    ]
    for (const path of ["/auth/password/reset", "/auth/email/verify", "/auth/password/forgot"])
      for (const [what, init] of malformed) {
        const status = (await fetch(api(path), init)).status
        expect(status, `${path} with ${what}`).toBeGreaterThanOrEqual(400)
        expect(status, `${path} with ${what}`).toBeLessThan(500)
      }
  })

  it("answers forgot at once when the SMTP server refuses the message, and logs the failure without the link", async () => {
    const frank = await register("frank", "refused.example")
    const started = performance.now()
    const asked = await forgot(frank.email)
    expect(asked.status).toBe(202)
    expect(performance.now() - started).toBeLessThan(SMTP_TIMEOUT_MS)

    const { token } = await linkMailed(frank.email, RESET_SUBJECT, "reset-password")
    const logged = await eventually("the failure's log line", () =>
      server
        .output()
        .split("\n")
        // logfmt quotes the message, escaping its own quotes.
        .find((line) => line.includes(`mail to ${frank.email} (\\"${RESET_SUBJECT}\\") not sent`)),
    )
    expect(logged).toContain("the SMTP server answered 550")
    expect(server.output()).not.toContain(token)
    expect(server.output()).not.toContain("reset-password")
  })

  it("answers registration and forgot at once when the SMTP server never greets; gives up after SMTP_TIMEOUT_MS and delivers on the retry", async () => {
    /** The answer, checked to come sooner than a send to the stalled server could give up. */
    const prompt = async <A>(request: Promise<A>) => {
      const started = performance.now()
      const answer = await request
      expect(performance.now() - started).toBeLessThan(SMTP_TIMEOUT_MS)
      return answer
    }
    // The registration's mail and the reset's each meet a server that never greets.
    smtp.stallNext(2)
    const grace = await prompt(register("grace"))
    expect((await prompt(forgot(grace.email))).status).toBe(202)

    const stalled = await eventually("both stalled connections to close", () => {
      const closed = smtp.stalled().filter((connection) => connection.closedAt !== undefined)
      return closed.length === 2 ? closed : undefined
    })
    for (const connection of stalled) {
      const heldFor = (connection.closedAt ?? 0) - connection.openedAt
      expect(heldFor).toBeGreaterThanOrEqual(SMTP_TIMEOUT_MS - 50)
      expect(heldFor).toBeLessThan(SMTP_TIMEOUT_MS * 4)
    }
    // Tried again 2 seconds later, on connections the server answers: both links work.
    const verification = await linkMailed(grace.email, VERIFY_SUBJECT, "verify-email")
    expect((await postJson(api("/auth/email/verify"), { token: verification.token })).status).toBe(204)
    const { token } = await linkMailed(grace.email, RESET_SUBJECT, "reset-password")
    expect((await reset(token)).status).toBe(204)
  }, 15_000)

  it("never wrote a mailed link, a token or the SMTP password to its output", () => {
    const mailed: ReadonlyArray<Received> = [...smtp.received(), ...smtp.refused()]
    const tokens = mailed.flatMap((message) => message.mail.text?.match(/token=[A-Za-z0-9_-]+/g) ?? [])
    expect(tokens).toHaveLength(mailed.length)
    expect(tokens.length).toBeGreaterThan(0)
    const output = server.output()
    for (const token of tokens) expect(output).not.toContain(token.slice("token=".length))
    expect(output).not.toContain("token=")
    expect(output).not.toContain(SMTP_LOGIN.password)
    expect(output).not.toContain(encodeURIComponent(SMTP_LOGIN.password))
    expect(output).toMatch(/status=204/)
  })
})
