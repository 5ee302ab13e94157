import { hkdfSync, randomBytes } from "node:crypto"
import { mkdir, readFile, writeFile } from "node:fs/promises"
import { join } from "node:path"
import { JwtAccessTokens } from "@userkit/adapters-crypto"
import { Effect, Option, Redacted, Schema } from "effect"
import type { AppConfig } from "./Config.js"

/** The app cannot start; the message is for the operator and holds no secret. */
export class StartupError extends Schema.TaggedError<StartupError>()("StartupError", { reason: Schema.String }) {
  override get message() {
    return this.reason
  }
}

const byteLength = (key: Redacted.Redacted<string>) => Buffer.byteLength(Redacted.value(key), "utf8")

const keptKey = (dataDir: string) =>
  Effect.gen(function* () {
    const path = join(dataDir, "secret_key")
    yield* Effect.promise(() => mkdir(dataDir, { recursive: true }))
    // "wx": the first of several instances starting at once writes the key, the others read it.
    const created = yield* Effect.promise(() =>
      writeFile(path, randomBytes(48).toString("base64url"), { flag: "wx", mode: 0o600 }).then(
        () => true,
        (error: NodeJS.ErrnoException) => (error.code === "EEXIST" ? false : Promise.reject(error)),
      ),
    )
    const key = Redacted.make((yield* Effect.promise(() => readFile(path, "utf8"))).trim())
    yield* Effect.logWarning(
      `SECRET_KEY is not set: signing tokens with a generated key ${created ? "written to" : "read from"} ${path}. Set SECRET_KEY (32+ bytes) for production.`,
    )
    return key
  })

/**
 * The key that signs access tokens: SECRET_KEY if set; outside production, a random key made once
 * and kept under DATA_DIR; in production a missing or short key stops the start.
 */
export const resolveSecretKey = (config: AppConfig) =>
  Effect.gen(function* () {
    const key = yield* Option.match(config.secretKey, {
      onSome: Effect.succeed,
      onNone: () =>
        config.production
          ? new StartupError({
              reason: `SECRET_KEY is required when NODE_ENV=production (at least ${JwtAccessTokens.MIN_SECRET_BYTES} bytes)`,
            })
          : keptKey(config.dataDir),
    })
    if (byteLength(key) < JwtAccessTokens.MIN_SECRET_BYTES)
      return yield* new StartupError({
        reason: `SECRET_KEY must be at least ${JwtAccessTokens.MIN_SECRET_BYTES} bytes long`,
      })
    return key
  })

/**
 * A key for one purpose, derived from the secret key with HKDF-SHA256 (RFC 5869), `purpose` as its
 * `info` label: each use gets its own key, and none of them reveals the secret or another one.
 * Rotating SECRET_KEY changes every derived key.
 */
export const deriveKey = (secret: Redacted.Redacted<string>, purpose: string): Redacted.Redacted<Uint8Array> =>
  Redacted.make(new Uint8Array(hkdfSync("sha256", Redacted.value(secret), new Uint8Array(0), purpose, 32)))
