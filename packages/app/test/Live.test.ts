import { mkdtemp, rm } from "node:fs/promises"
import { createServer } from "node:http"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { NotReady, ReadinessCheck } from "@userkit/adapters-http"
import { EmbeddedEngine, Migrator } from "@userkit/adapters-postgres"
import { ConfigProvider, Effect, Either, Layer, Redacted } from "effect"
import { AppConfig } from "../src/Config.js"
import { appLayer, sqlStore } from "../src/index.js"
import { get, postJson } from "./support/http.js"
import { freePort } from "./support/serverProcess.js"

const tempDir = Effect.acquireRelease(
  Effect.promise(() => mkdtemp(join(tmpdir(), "userkit-live-"))),
  (dir) => Effect.promise(() => rm(dir, { recursive: true, force: true })),
)

const configFrom = (env: Record<string, string>) =>
  AppConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))

describe("the composed app, in process", () => {
  it.scoped("serves register, login and me on the memory store", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const config = yield* configFrom({ PORT: String(port), USERKIT_STORE: "memory", BCRYPT_COST: "4" })
      yield* Layer.build(appLayer(config, Redacted.make("s".repeat(32)), () => createServer()))
      const url = `http://127.0.0.1:${port}`
      const body = { email: "live@example.com", username: "live", password: "password123" }
      expect((yield* Effect.promise(() => postJson(`${url}/api/v1/auth/register`, body))).status).toBe(201)
      const login = yield* Effect.promise(() =>
        postJson(`${url}/api/v1/auth/login`, { username: "live", password: "password123" }),
      )
      const me = yield* Effect.promise(() => get(`${url}/api/v1/auth/me`, String(login.json.access_token)))
      expect(me.json).toMatchObject({ username: "live" })
      expect((yield* Effect.promise(() => get(`${url}/ready`))).status).toBe(200)
    }),
  )

  it.scoped("on the embedded engine, is ready once migrated and says so when migrations fall behind", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const context = yield* Layer.build(sqlStore(EmbeddedEngine.layer({ dataDir: dir })))
      const readiness = yield* Effect.provide(ReadinessCheck, context)
      yield* readiness.check
      yield* Effect.flatMap(Migrator, (migrator) => migrator.down()).pipe(Effect.provide(context))
      expect(yield* Effect.either(readiness.check)).toEqual(
        Either.left(new NotReady({ reason: "database migrations are not current" })),
      )
    }),
  )
})
