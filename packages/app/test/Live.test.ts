import { createServer } from "node:http"
import { describe, expect, it } from "@effect/vitest"
import { ReadinessCheck } from "@userkit/adapters-http"
import { EmbeddedEngine, Migrator } from "@userkit/adapters-postgres"
import { ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import { decodeProtectedHeader } from "jose"
import { vi } from "vitest"
import { AppConfig } from "../src/Config.js"
import { appLayer, sqlStore } from "../src/index.js"
import { get, postJson } from "./support/http.js"
import { freePort } from "./support/serverProcess.js"
import { tempDir } from "./support/tempDir.js"

const configFrom = (env: Record<string, string>) =>
  AppConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

describe("the composed app, in process", () => {
  it.scoped("serves register, login and me on the memory store", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const config = yield* configFrom({ PORT: String(port), USERKIT_STORE: "memory", BCRYPT_COST: "4" })
      yield* Layer.build(appLayer(config, Redacted.make("s".repeat(32)), () => createServer()))
      const url = `http://127.0.0.1:${port}`
      const body = { email: "live@example.com", username: "live", password: "a live test password" }
      expect((yield* Effect.promise(() => postJson(`${url}/api/v1/auth/register`, body))).status).toBe(201)
      const login = yield* Effect.promise(() =>
        postJson(`${url}/api/v1/auth/login`, { username: "live", password: "a live test password" }),
      )
      const me = yield* Effect.promise(() => get(`${url}/api/v1/auth/me`, String(login.json.access_token)))
      expect(me.json).toMatchObject({ username: "live" })
      expect((yield* Effect.promise(() => get(`${url}/ready`))).status).toBe(200)
    }),
  )

  it.scoped(
    "logs in, refreshes and pages the directory without Web Crypto's jobs: tokens and cursors are signed and digested on the caller's turn",
    () =>
      Effect.gen(function* () {
        const port = yield* Effect.promise(freePort)
        const config = yield* configFrom({ PORT: String(port), USERKIT_STORE: "memory", BCRYPT_COST: "4" })
        yield* Layer.build(appLayer(config, Redacted.make("s".repeat(32)), () => createServer()))
        const url = `http://127.0.0.1:${port}/api/v1/auth`
        const body = { email: "turns@example.com", username: "turns", password: "a live test password" }
        expect((yield* Effect.promise(() => postJson(`${url}/register`, body))).status).toBe(201)
        const other = { email: "turns2@example.com", username: "turns2", password: "a live test password" }
        expect((yield* Effect.promise(() => postJson(`${url}/register`, other))).status).toBe(201)
        // Each Web Crypto digest or signature is a job on libuv's pool, answered on a later turn of the loop.
        const digest = vi.spyOn(crypto.subtle, "digest")
        const sign = vi.spyOn(crypto.subtle, "sign")
        const verify = vi.spyOn(crypto.subtle, "verify")
        yield* Effect.addFinalizer(() => Effect.sync(() => vi.restoreAllMocks()))
        const login = yield* Effect.promise(() =>
          postJson(`${url}/login`, { username: "turns", password: "a live test password" }),
        )
        expect(login.status).toBe(200)
        const refreshed = yield* Effect.promise(() =>
          postJson(`${url}/refresh`, { refresh_token: String(login.json.refresh_token) }),
        )
        expect(refreshed.status).toBe(200)
        const token = String(refreshed.json.access_token)
        const users = `http://127.0.0.1:${port}/api/v1/users`
        const first = yield* Effect.promise(() => get(`${users}?size=1`, token))
        expect(first.status).toBe(200)
        const after = encodeURIComponent(String(first.json.next_cursor))
        expect((yield* Effect.promise(() => get(`${users}?size=1&after=${after}`, token))).status).toBe(200)
        expect(digest).not.toHaveBeenCalled()
        expect(sign).not.toHaveBeenCalled()
        // jose verifies access tokens (Ed25519) through Web Crypto; no HMAC is verified there.
        const hmacVerified = verify.mock.calls.filter(([algorithm]) =>
          typeof algorithm === "string" ? algorithm === "HMAC" : algorithm.name === "HMAC",
        )
        expect(hmacVerified).toEqual([])
      }),
  )

  it.scoped("with JWT_ALGORITHM=HS256, signs access tokens with SECRET_KEY and publishes no key", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const env = { PORT: String(port), USERKIT_STORE: "memory", BCRYPT_COST: "4", JWT_ALGORITHM: "HS256" }
      const config = yield* configFrom(env)
      yield* Layer.build(appLayer(config, Redacted.make("s".repeat(32)), () => createServer()))
      const url = `http://127.0.0.1:${port}`
      const body = { email: "hmac@example.com", username: "hmac", password: "a live test password" }
      yield* Effect.promise(() => postJson(`${url}/api/v1/auth/register`, body))
      const login = yield* Effect.promise(() =>
        postJson(`${url}/api/v1/auth/login`, { username: "hmac", password: "a live test password" }),
      )
      const token = String(login.json.access_token)
      expect(decodeProtectedHeader(token)).toEqual({ alg: "HS256", typ: "at+jwt" })
      expect((yield* Effect.promise(() => get(`${url}/api/v1/auth/me`, token))).status).toBe(200)
      expect((yield* Effect.promise(() => get(`${url}/.well-known/jwks.json`))).json).toEqual({ keys: [] })
    }),
  )

  it.scoped("signs directory cursors with a key from SECRET_KEY: another instance with it accepts them", () =>
    Effect.gen(function* () {
      /** An instance on its own memory store, with one signed-in user; its directory at `query`. */
      const instance = (secret: string, names: ReadonlyArray<string>) =>
        Effect.gen(function* () {
          const port = yield* Effect.promise(freePort)
          const config = yield* configFrom({ PORT: String(port), USERKIT_STORE: "memory", BCRYPT_COST: "4" })
          yield* Layer.build(appLayer(config, Redacted.make(secret), () => createServer()))
          const url = `http://127.0.0.1:${port}`
          for (const name of names) {
            const body = { email: `${name}@example.com`, username: name, password: "a live test password" }
            yield* Effect.promise(() => postJson(`${url}/api/v1/auth/register`, body))
          }
          const login = yield* Effect.promise(() =>
            postJson(`${url}/api/v1/auth/login`, { username: names[0], password: "a live test password" }),
          )
          return (query: string) =>
            Effect.promise(() => get(`${url}/api/v1/users?${query}`, String(login.json.access_token)))
        })
      const first = yield* instance("s".repeat(32), ["ada", "bob", "cyd"])
      const second = yield* instance("s".repeat(32), ["dee", "eve"])
      const otherSecret = yield* instance("t".repeat(32), ["fay", "gus"])
      const cursor = String((yield* first("size=1")).json.next_cursor)
      expect((yield* second(`size=1&after=${cursor}`)).status).toBe(200)
      const refused = yield* otherSecret(`size=1&after=${cursor}`)
      expect([refused.status, refused.json.code]).toEqual([422, "invalid_cursor"])
    }),
  )

  it.scoped("on the embedded engine, serves metrics with the pool's use and CORS as configured", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const port = yield* Effect.promise(freePort)
      const config = yield* configFrom({
        PORT: String(port),
        DATA_DIR: dir,
        BCRYPT_COST: "4",
        METRICS_ENABLED: "true",
        CORS_ORIGINS: "https://app.example.com",
        LOG_LEVEL: "off",
      })
      yield* Layer.build(appLayer(config, Redacted.make("s".repeat(32)), () => createServer()))
      const url = `http://127.0.0.1:${port}`
      yield* Effect.promise(() => get(`${url}/health`))
      const metrics = yield* Effect.promise(() => fetch(`${url}/metrics`).then((r) => r.text()))
      expect(metrics).toMatch(/userkit_db_pool_connections_max \d+/)
      expect(metrics).toMatch(/userkit_db_pool_connections_open \d+/)
      expect(metrics).toContain('route="/health"')
      const preflight = (origin: string) =>
        Effect.promise(() =>
          fetch(`${url}/api/v1/auth/login`, {
            method: "OPTIONS",
            headers: { origin, "access-control-request-method": "POST" },
          }).then((r) => r.headers.get("access-control-allow-origin")),
        )
      expect(yield* preflight("https://app.example.com")).toBe("https://app.example.com")
      expect(yield* preflight("https://evil.example.com")).toBeNull()
    }),
  )

  it.scoped("on the embedded engine, is ready once migrated and says so when migrations fall behind", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const context = yield* Layer.build(sqlStore(EmbeddedEngine.layer({ dataDir: dir })))
      const readiness = yield* Effect.provide(ReadinessCheck.ReadinessCheck, context)
      yield* readiness.check
      yield* Effect.flatMap(Migrator.Migrator, (migrator) => migrator.down()).pipe(Effect.provide(context))
      expect(yield* Effect.either(readiness.check)).toEqual(
        Either.left(new ReadinessCheck.NotReady({ reason: "database migrations are not current" })),
      )
    }),
  )
})
