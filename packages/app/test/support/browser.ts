import { existsSync } from "node:fs"
import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type BrowserContext, chromium, type Page } from "playwright-core"

/** Debian's Chromium, which CI installs too. No browser is ever downloaded. */
export const chromiumPath = "/usr/bin/chromium"

const ci = process.env.CI !== undefined && process.env.CI !== ""

/**
 * Whether the browser tests run: always in CI, where a missing Chromium must fail loudly, and
 * elsewhere only when Chromium is installed, so `pnpm test` passes on a machine with only Node.js.
 */
export const runBrowserTests = ci || existsSync(chromiumPath)

export const browserSkipReason = `skipped: no Chromium at ${chromiumPath} and CI is not set`

// What this machine needs: no sandbox or GPU in a container, and nothing phoning home.
const args = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
]

export interface Chromium {
  readonly context: BrowserContext
  /** Closes the browser and deletes its profile; safe to call more than once. */
  readonly close: () => Promise<void>
}

/**
 * Chromium with a fresh, temporary profile, that never leaves this machine: requests to any other
 * host are aborted (and so still seen by `watchPage`, as requested and failed).
 */
export const openChromium = async (): Promise<Chromium> => {
  const profile = await mkdtemp(join(tmpdir(), "userkit-chromium-"))
  const removeProfile = () => rm(profile, { recursive: true, force: true })
  let context: BrowserContext
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: chromiumPath,
      headless: true,
      args,
      viewport: { width: 1280, height: 900 },
      timeout: 60_000,
    })
  } catch (error) {
    await removeProfile()
    throw error
  }
  const close = () => context.close().finally(removeProfile)
  try {
    await context.route(
      (url) => !isLocal(url.href),
      (route) => route.abort("blockedbyclient"),
    )
  } catch (error) {
    await close()
    throw error
  }
  return { context, close }
}

const localHosts = new Set(["127.0.0.1", "localhost", "[::1]"])

/** Whether a URL stays on this machine (inline `data:` and `blob:` URLs do). */
export const isLocal = (url: string): boolean => {
  if (url.startsWith("data:") || url.startsWith("blob:")) return true
  try {
    return localHosts.has(new URL(url).hostname)
  } catch {
    return false
  }
}

export interface PageLog {
  /** Every URL the page requested. */
  readonly requests: Array<string>
  /** Requests that got no response: `METHOD url: reason`. */
  readonly failedRequests: Array<string>
  /** Console errors, with where they came from. */
  readonly consoleErrors: Array<string>
}

/** Records what a page asks of the network and complains about on its console. */
export const watchPage = (page: Page): PageLog => {
  const log: PageLog = { requests: [], failedRequests: [], consoleErrors: [] }
  page.on("request", (request) => {
    log.requests.push(request.url())
  })
  page.on("requestfailed", (request) => {
    log.failedRequests.push(`${request.method()} ${request.url()}: ${request.failure()?.errorText ?? "failed"}`)
  })
  page.on("console", (message) => {
    if (message.type() === "error") log.consoleErrors.push(`${message.text()} (at ${message.location().url})`)
  })
  page.on("pageerror", (error) => {
    log.consoleErrors.push(`uncaught: ${error.message}`)
  })
  return log
}
