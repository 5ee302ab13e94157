import { mkdtemp, rm } from "node:fs/promises"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { freshDatabase, testDatabaseUrl } from "./support/databases.js"
import { type Answer, postJson } from "./support/http.js"
import { type ServerProcess, startServer } from "./support/serverProcess.js"

const testRedisUrl = process.env.TEST_REDIS_URL

// The app has no key prefix setting, so this run's counts are kept apart from other runs' on the
// shared Redis by names and addresses of its own: an IPv6 /64 per address (the limits count by /64).
const run = crypto.randomUUID().slice(0, 8)
const runPrefix = `fd00:${run.slice(0, 4)}:${run.slice(4, 8)}`
let nextAddress = 1
const freshAddress = () => `${runPrefix}:${(nextAddress++).toString(16)}::1`
const name = (label: string) => `${label}_${run}`

const password = "a test password 1"

// 127.0.0.1 is a trusted proxy (TRUSTED_PROXIES=loopback): X-Forwarded-For names the client.
const login = (server: ServerProcess, username: string, secret: string, address: string) =>
  postJson(`${server.url}/api/v1/auth/login`, { username, password: secret }, { "x-forwarded-for": address })

const register = async (server: ServerProcess, username: string) => {
  const created = await postJson(
    `${server.url}/api/v1/auth/register`,
    { email: `${username}@example.com`, username, password },
    { "x-forwarded-for": freshAddress() },
  )
  expect(created.status).toBe(201)
}

const expectRateLimited = (answer: Answer) => {
  expect(answer.status).toBe(429)
  expect(answer.json.code).toBe("rate_limited")
  expect(Number(answer.headers.get("retry-after"))).toBeGreaterThan(0)
}

const limits = {
  RATE_LIMIT_ENABLED: "true",
  TRUSTED_PROXIES: "loopback",
  RATE_LIMIT_LOGIN: "6/300",
  // A wait long enough that a slow machine never sees it end within the test.
  LOGIN_BACKOFF_AFTER_FAILURES: "5",
  LOGIN_BACKOFF_BASE_SECONDS: "120",
  // What this run leaves in Redis goes soon.
  LOGIN_BACKOFF_FORGET_HOURS: "1",
  KNOWN_ADDRESS_DAYS: "1",
}

/** Two instances on one fresh database, started one after the other (each migrates at start). */
const startPair = async (env: Record<string, string>) => {
  const dataDir = await mkdtemp(join(tmpdir(), "userkit-shared-limits-"))
  const db = await freshDatabase(testDatabaseUrl ?? "")
  const first = await startServer({ DATA_DIR: dataDir, DATABASE_URL: db.url, ...limits, ...env })
  const second = await startServer({ DATA_DIR: dataDir, DATABASE_URL: db.url, ...limits, ...env })
  return {
    instances: [first, second] as const,
    stop: async () => {
      await Promise.all([first.stop("SIGKILL"), second.stop("SIGKILL")])
      await db.drop()
      await rm(dataDir, { recursive: true, force: true })
    },
  }
}

/** `count` logins from one address, sequentially, alternating between the instances. */
const alternatingLogins = async (instances: ReadonlyArray<ServerProcess>, username: string, count: number) => {
  const address = freshAddress()
  const answers: Array<Answer> = []
  for (let i = 0; i < count; i++) {
    const instance = instances[i % instances.length]
    if (instance === undefined) throw new Error("no instance")
    answers.push(await login(instance, username, password, address))
  }
  return answers
}

type Pair = Awaited<ReturnType<typeof startPair>>

describe.runIf(testDatabaseUrl !== undefined)("two instances on one PostgreSQL", () => {
  let shared: Pair | undefined
  let unshared: Pair

  // The two pairs start side by side: starting a server is most of this file's time.
  beforeAll(async () => {
    ;[shared, unshared] = await Promise.all([
      testRedisUrl === undefined ? undefined : startPair({ REDIS_URL: testRedisUrl }),
      startPair({}),
    ])
  }, 120_000)

  afterAll(async () => {
    await Promise.all([shared?.stop(), unshared?.stop()])
  })

  /** The pair counting in Redis; the tests that need it only run when TEST_REDIS_URL is set. */
  const onRedis = () => {
    if (shared === undefined) throw new Error("no pair on Redis")
    return shared.instances
  }

  describe.runIf(testRedisUrl !== undefined)("sharing one Redis", () => {
    it("let 6 sign-ins from one address through between them, and answer the 7th 429 on either", async () => {
      const instances = onRedis()
      const username = name("alternating")
      await register(instances[0], username)
      const answers = await alternatingLogins(instances, username, 10)
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 200, 200, 429, 429, 429, 429])
      // The 7th on the first instance, the 8th on the second.
      for (const refused of answers.slice(6)) expectRateLimited(refused)
    })

    it("after 5 failed guesses at an account over both, from 5 addresses, answer 429 to the 6th, right password too", async () => {
      const [first, second] = onRedis()
      const username = name("guessed")
      await register(first, username)
      const guesses = []
      for (let i = 0; i < 5; i++) {
        const instance = i % 2 === 0 ? first : second
        guesses.push((await login(instance, username, "a wrong guess 1", freshAddress())).status)
      }
      expect(guesses).toEqual([401, 401, 401, 401, 401])
      const sixth = await login(second, username, password, freshAddress())
      expectRateLimited(sixth)
      expect(Number(sixth.headers.get("retry-after"))).toBeLessThanOrEqual(120)
    })

    it("let exactly 6 of 40 concurrent sign-ins from one address through, split across both", async () => {
      const [first, second] = onRedis()
      const address = freshAddress()
      // Distinct unknown names, so that only the per-address limit can refuse them.
      const answers = await Promise.all(
        Array.from({ length: 40 }, (_, i) => login(i % 2 === 0 ? first : second, name(`racer${i}`), password, address)),
      )
      const statuses = answers.map((answer) => answer.status)
      expect(statuses.filter((status) => status !== 429)).toEqual([401, 401, 401, 401, 401, 401])
      for (const refused of answers.filter((answer) => answer.status === 429)) expectRateLimited(refused)
    })
  })

  // Why REDIS_URL matters: without it each instance counts in its own memory, and one address gets
  // each instance's allowance. The tests above fail this way when the store is not shared.
  describe("each counting in its own memory (no REDIS_URL)", () => {
    it("let 6 sign-ins from one address through on each instance, 12 in all", async () => {
      const username = name("unshared")
      await register(unshared.instances[0], username)
      const answers = await alternatingLogins(unshared.instances, username, 14)
      expect(answers.filter((answer) => answer.status === 200)).toHaveLength(12)
      expect(answers.slice(12).map((answer) => answer.status)).toEqual([429, 429])
    })
  })
})
