import { mkdir } from "node:fs/promises"
import { createServer } from "node:http"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { ConfigProvider, Effect, Exit, Layer, Redacted, Scope } from "effect"
import type { Locator, Page } from "playwright-core"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { AppConfig, appLayer, loggerLayer } from "../src/index.js"
import {
  browserSkipReason,
  type Chromium,
  isLocal,
  openChromium,
  type PageLog,
  runBrowserTests,
  watchPage,
} from "./support/browser.js"
import { postJson } from "./support/http.js"
import { freePort } from "./support/serverProcess.js"

// Swagger UI 5 (the one @effect/platform bundles, served by /docs) drives the page: the selectors below are its markup.

/** The repository's test-artifacts/ (git-ignored), where the screenshots go. */
const artifacts = fileURLToPath(new URL("../../../test-artifacts/", import.meta.url))
const user = { email: "docs@example.com", username: "docsreader", password: "docs reader password" }

interface RunningApp {
  readonly url: string
  readonly stop: () => Promise<void>
}

/** The whole app in this process, on the memory store, until `stop`. */
const startApp = async (): Promise<RunningApp> => {
  const port = await freePort()
  const env = { PORT: String(port), HOST: "127.0.0.1", USERKIT_STORE: "memory", BCRYPT_COST: "4", LOG_LEVEL: "off" }
  const scope = Effect.runSync(Scope.make())
  await Effect.runPromise(
    AppConfig.pipe(
      Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
      Effect.flatMap((config) =>
        Layer.buildWithScope(
          appLayer(config, Redacted.make("s".repeat(32)), () => createServer()),
          scope,
        ).pipe(Effect.provide(loggerLayer(config))),
      ),
      Effect.onError((cause) => Scope.close(scope, Exit.failCause(cause))),
    ),
  )
  return { url: `http://127.0.0.1:${port}`, stop: () => Effect.runPromise(Scope.close(scope, Exit.void)) }
}

/** An operation's block, by method and path. */
const operation = (root: Page | Locator, method: "get" | "post", path: string): Locator =>
  root.locator(`.opblock.opblock-${method}:has(.opblock-summary-path[data-path="${path}"])`)

/** What the page's content security policy refused, as recorded by the init script. */
const cspViolations = (page: Page): Promise<unknown> => page.evaluate("window.cspViolations")

const title = runBrowserTests ? "the API docs in Chromium" : `the API docs in Chromium (${browserSkipReason})`
if (!runBrowserTests) console.info(`DocsBrowser.test.ts: ${browserSkipReason}`)

// The tests share one page and run in order: render, authorize, try an operation, then check the traffic.
describe.runIf(runBrowserTests)(title, () => {
  let app: RunningApp | undefined
  let browser: Chromium | undefined
  let opened: { readonly page: Page; readonly log: PageLog } | undefined

  /** The page, once beforeAll opened it. */
  const docs = () => {
    if (app === undefined || opened === undefined) throw new Error("the app or the browser did not start")
    return { url: app.url, ...opened }
  }

  beforeAll(async () => {
    app = await startApp()
    const registered = await postJson(`${app.url}/api/v1/auth/register`, user)
    expect(registered.status, registered.text).toBe(201)
    await mkdir(artifacts, { recursive: true })
    browser = await openChromium()
    const page = await browser.context.newPage()
    page.setDefaultTimeout(15_000)
    // Anything the page's content security policy blocks is recorded (the browser fixes nothing up).
    await page.addInitScript(`window.cspViolations = [];
      document.addEventListener("securitypolicyviolation", (e) => window.cspViolations.push(e.violatedDirective + " " + e.blockedURI));`)
    opened = { page, log: watchPage(page) }
  }, 60_000)

  afterAll(async () => {
    try {
      await browser?.close()
    } finally {
      await app?.stop()
    }
  }, 60_000)

  it("renders the API's title and its auth operations", async () => {
    const { url, page } = docs()
    const answer = await page.goto(`${url}/docs`)
    await page.locator(".opblock").first().waitFor()
    const policy = answer?.headers()["content-security-policy"] ?? ""
    expect(policy).toContain("frame-ancestors 'none'")
    expect(policy).not.toContain("unsafe")
    await page.screenshot({ path: join(artifacts, "docs.png"), fullPage: true })

    expect(String(await page.evaluate("window.versions.swaggerUI.version"))).toMatch(/^5\./)
    expect(await page.title()).toBe("userkit Documentation")
    const heading = await page.locator(".information-container h1.title").textContent()
    expect(heading).toContain("userkit")
    expect(heading).toContain("1.0.0")
    const auth = page
      .locator(".opblock-tag-section")
      .filter({ has: page.locator("h3.opblock-tag[data-tag='Authentication']") })
    for (const [method, path] of [
      ["post", "/api/v1/auth/register"],
      ["post", "/api/v1/auth/login"],
      ["get", "/api/v1/auth/me"],
    ] as const) {
      const block = operation(auth, method, path)
      expect(await block.locator(".opblock-summary-method").textContent(), path).toBe(method.toUpperCase())
      expect(await block.isVisible(), path).toBe(true)
    }
  }, 60_000)

  it("logs in through Authorize, with the OAuth2 password flow", async () => {
    const { url, page } = docs()
    await page.locator(".scheme-container button.authorize").click()
    const dialog = page.locator(".dialog-ux .modal-ux")
    await dialog.waitFor()
    const scheme = dialog
      .locator(".auth-container")
      .filter({ has: page.locator("h4", { hasText: "(OAuth2, password)" }) })
    await scheme.locator("#oauth_username").fill(user.username)
    await scheme.locator("#oauth_password").fill(user.password)
    const [login] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${url}/api/v1/auth/login` && r.request().method() === "POST"),
      scheme.getByRole("button", { name: "Apply given OAuth2 credentials" }).click(),
    ])
    // Swagger UI got its token from the login endpoint.
    expect(login.status()).toBe(200)

    const authorized = scheme.locator("h6", { hasText: "Authorized" })
    const errors = scheme.locator(".errors")
    await authorized.or(errors).first().waitFor()
    await page.screenshot({ path: join(artifacts, "docs-authorized.png") })
    expect(await errors.allInnerTexts()).toEqual([])
    expect(await authorized.isVisible()).toBe(true)
    expect(await scheme.locator("code", { hasText: user.username }).count()).toBe(1)
    expect(await scheme.getByRole("button", { name: "Remove authorization" }).isVisible()).toBe(true)

    await scheme.getByRole("button", { name: "Close" }).click()
    await dialog.waitFor({ state: "detached" })
    expect(await page.locator(".scheme-container button.authorize").getAttribute("class")).toContain("locked")
  }, 60_000)

  it("tries GET /api/v1/auth/me as the logged-in user", async () => {
    const { url, page } = docs()
    const me = operation(page, "get", "/api/v1/auth/me")
    await me.locator(".opblock-summary-control").click()
    await me.getByRole("button", { name: "Try it out" }).click()
    const [answer] = await Promise.all([
      page.waitForResponse((r) => r.url() === `${url}/api/v1/auth/me`),
      me.getByRole("button", { name: "Execute" }).click(),
    ])
    expect(answer.status()).toBe(200)

    const response = me.locator(".live-responses-table .response")
    await response.waitFor()
    await me.screenshot({ path: join(artifacts, "docs-try-it-out.png") })
    expect(await response.locator(".response-col_status").textContent()).toBe("200")
    const body = JSON.parse(
      (await response.locator(".response-col_description .highlight-code pre").textContent()) ?? "",
    )
    expect(body).toMatchObject({ username: user.username, email: user.email })
    // The request Swagger UI made carried the token it got from the login endpoint.
    expect(await me.locator(".curl-command").textContent()).toMatch(/Authorization: Bearer [\w-]+\.[\w-]+\.[\w-]+/)
  }, 60_000)

  it("kept to this machine and to its policy: no foreign or failed requests, no console errors, nothing refused", async () => {
    const { log } = docs()
    expect(log.requests.length).toBeGreaterThan(0)
    expect(log.requests.filter((url) => !isLocal(url))).toEqual([])
    expect(log.failedRequests).toEqual([])
    expect(log.consoleErrors).toEqual([])
    expect(await cspViolations(docs().page)).toEqual([])
  })
})
