import { readFile, stat } from "node:fs/promises"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Either, Redacted } from "effect"
import { AppConfig } from "../src/Config.js"
import { deriveKey, resolveSecretKey, StartupError } from "../src/SecretKey.js"
import { tempDir } from "./support/tempDir.js"

const withEnv = (env: Record<string, string>) =>
  AppConfig.pipe(
    Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))),
    Effect.flatMap(resolveSecretKey),
    Effect.either,
  )

describe("the token signing key", () => {
  it.effect("uses SECRET_KEY when it is long enough", () =>
    Effect.gen(function* () {
      const key = "k".repeat(32)
      const result = yield* withEnv({ SECRET_KEY: key, NODE_ENV: "production" })
      expect(Either.map(result, Redacted.value)).toEqual(Either.right(key))
    }),
  )

  it.effect("refuses a short SECRET_KEY, in production and out of it, without showing it", () =>
    Effect.gen(function* () {
      for (const env of [
        { SECRET_KEY: "short-secret-value" },
        { SECRET_KEY: "short-secret-value", NODE_ENV: "production" },
      ]) {
        const result = yield* withEnv(env)
        expect(Either.isLeft(result) && result.left instanceof StartupError).toBe(true)
        expect(String(Either.getLeft(result))).toContain("at least 32 bytes")
        expect(String(Either.getLeft(result))).not.toContain("short-secret-value")
      }
    }),
  )

  it.effect("stops a production start without SECRET_KEY", () =>
    Effect.gen(function* () {
      const result = yield* withEnv({ NODE_ENV: "production" })
      expect(Either.isLeft(result)).toBe(true)
      expect(String(Either.getLeft(result))).toContain("SECRET_KEY is required when NODE_ENV=production")
    }),
  )

  it.scoped("outside production, makes a random key once, keeps it private under DATA_DIR, and reuses it", () =>
    Effect.gen(function* () {
      const dir = yield* tempDir
      const first = Either.getOrThrow(yield* withEnv({ DATA_DIR: dir }))
      const second = Either.getOrThrow(yield* withEnv({ DATA_DIR: dir }))
      expect(Redacted.value(first)).toEqual(Redacted.value(second))
      expect(Buffer.byteLength(Redacted.value(first))).toBeGreaterThanOrEqual(32)
      const path = join(dir, "secret_key")
      expect((yield* Effect.promise(() => readFile(path, "utf8"))).trim()).toEqual(Redacted.value(first))
      expect((yield* Effect.promise(() => stat(path))).mode & 0o777).toBe(0o600)
      const other = yield* tempDir
      expect(Redacted.value(Either.getOrThrow(yield* withEnv({ DATA_DIR: other })))).not.toEqual(Redacted.value(first))
    }),
  )
})

describe("keys derived from the secret key", () => {
  it("gives each purpose its own stable 32-byte key, which changes with the secret", () => {
    const secret = Redacted.make("s".repeat(48))
    const key = (purpose: string, from = secret) =>
      Buffer.from(Redacted.value(deriveKey(from, purpose))).toString("hex")
    expect(key("userkit/listing-cursor/v1")).toHaveLength(64)
    expect(key("userkit/listing-cursor/v1")).toEqual(key("userkit/listing-cursor/v1"))
    expect(key("userkit/listing-cursor/v1")).not.toEqual(key("userkit/other/v1"))
    expect(key("userkit/listing-cursor/v1", Redacted.make("t".repeat(48)))).not.toEqual(
      key("userkit/listing-cursor/v1"),
    )
    expect(key("userkit/listing-cursor/v1")).not.toContain(Buffer.from(Redacted.value(secret)).toString("hex"))
  })
})
