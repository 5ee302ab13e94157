import { describe, expect, it } from "@effect/vitest"
import {
  DEFAULT_LIMIT_RULES,
  DEFAULT_PASSWORD_RULES,
  DEFAULT_SESSION_RULES,
  RateRule,
  SessionRules,
} from "@userkit/domain"
import { ConfigProvider, Duration, Effect, Either, LogLevel, Option, Redacted } from "effect"
import { AppConfig, describeConfigError } from "../src/Config.js"

const load = (env: Record<string, string>) =>
  AppConfig.pipe(Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))), Effect.either)

const refusal = (env: Record<string, string>) =>
  Effect.map(load(env), (result) => (Either.isLeft(result) ? describeConfigError(result.left) : "accepted"))

describe("configuration from the environment", () => {
  it.effect("starts on the embedded engine with the documented defaults", () =>
    Effect.gen(function* () {
      const config = Either.getOrThrow(yield* load({}))
      expect(config).toMatchObject({
        port: 8000,
        host: "127.0.0.1",
        production: false,
        store: { kind: "embedded", dataDir: ".data/pgdata" },
        dataDir: "./.data",
        accessTokenMinutes: 15,
        jwtAlgorithm: "EdDSA",
        signingKeyRotationDays: 30,
        bcryptCost: 12,
        bcryptQueue: 64,
        bcryptNice: 5,
        logLevel: LogLevel.Info,
        maxBodyBytes: 65536,
        metricsEnabled: false,
        cors: { origins: [], credentials: false },
        server: { headersTimeoutSeconds: 10, requestTimeoutSeconds: 30, maxConnections: 1000 },
      })
      expect(Option.isNone(config.secretKey)).toBe(true)
    }),
  )

  it.effect("chooses PostgreSQL when DATABASE_URL is set, and memory when asked", () =>
    Effect.gen(function* () {
      const postgres = Either.getOrThrow(yield* load({ DATABASE_URL: "postgres://u:p@db/userkit" }))
      expect(postgres.store.kind === "postgres" && Redacted.value(postgres.store.url)).toBe("postgres://u:p@db/userkit")
      expect(postgres.store.kind === "postgres" && postgres.store.preparedStatements).toBe(true)
      const unprepared = yield* load({ DATABASE_URL: "postgres://db/x", DATABASE_PREPARED_STATEMENTS: "false" })
      expect(Either.map(unprepared, ({ store }) => store.kind === "postgres" && store.preparedStatements)).toEqual(
        Either.right(false),
      )
      expect(Either.getOrThrow(yield* load({ USERKIT_STORE: "memory" })).store).toEqual({ kind: "memory" })
      const forced = Either.getOrThrow(
        yield* load({ USERKIT_STORE: "embedded", DATABASE_URL: "postgres://x/y", DATA_DIR: "/srv" }),
      )
      expect(forced.store).toEqual({ kind: "embedded", dataDir: "/srv/pgdata" })
      expect(Either.getOrThrow(yield* load({ NODE_ENV: "production" })).production).toBe(true)
    }),
  )

  it.effect("refuses each bad value with a message naming the variable", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<readonly [Record<string, string>, string]> = [
        [{ PORT: "eighty" }, "PORT"],
        [{ PORT: "70000" }, "PORT"],
        [{ DATABASE_PREPARED_STATEMENTS: "sometimes" }, "DATABASE_PREPARED_STATEMENTS"],
        [{ BCRYPT_COST: "3" }, "BCRYPT_COST"],
        [{ BCRYPT_COST: "twelve" }, "BCRYPT_COST"],
        [{ BCRYPT_CONCURRENCY: "0" }, "BCRYPT_CONCURRENCY"],
        [{ BCRYPT_QUEUE: "-1" }, "BCRYPT_QUEUE"],
        [{ BCRYPT_NICE: "20" }, "BCRYPT_NICE"],
        [{ BCRYPT_NICE: "-5" }, "BCRYPT_NICE"],
        [{ ACCESS_TOKEN_EXPIRE_MINUTES: "0" }, "ACCESS_TOKEN_EXPIRE_MINUTES"],
        [{ LOG_LEVEL: "Loud" }, "LOG_LEVEL"],
        [{ USERKIT_STORE: "redis" }, "USERKIT_STORE"],
        [{ USERKIT_STORE: "postgres" }, "DATABASE_URL"],
        [{ MAX_BODY_BYTES: "10" }, "MAX_BODY_BYTES"],
        [{ METRICS_ENABLED: "sometimes" }, "METRICS_ENABLED"],
        [{ CORS_ORIGINS: "app.example.com" }, "CORS_ORIGINS"],
        [{ CORS_ORIGINS: "*", CORS_ALLOW_CREDENTIALS: "true" }, "CORS_ORIGINS"],
        [{ HEADERS_TIMEOUT_SECONDS: "0" }, "HEADERS_TIMEOUT_SECONDS"],
        [{ REQUEST_TIMEOUT_SECONDS: "soon" }, "REQUEST_TIMEOUT_SECONDS"],
        [{ HEADERS_TIMEOUT_SECONDS: "20", REQUEST_TIMEOUT_SECONDS: "10" }, "HEADERS_TIMEOUT_SECONDS"],
        [{ MAX_CONNECTIONS: "0" }, "MAX_CONNECTIONS"],
        [{ TRUSTED_PROXIES: "10.0.0.0/8, lokalhost" }, "lokalhost"],
        [{ RATE_LIMIT_ENABLED: "maybe" }, "RATE_LIMIT_ENABLED"],
        [{ RATE_LIMIT_LOGIN: "30 per 5 minutes" }, "RATE_LIMIT_LOGIN"],
        [{ RATE_LIMIT_REGISTER: "0/300" }, "RATE_LIMIT_REGISTER"],
        [{ LOGIN_BACKOFF_BASE_SECONDS: "60", LOGIN_BACKOFF_CAP_SECONDS: "30" }, "LOGIN_BACKOFF_CAP_SECONDS"],
        [{ PASSWORD_MIN_LENGTH: "20", PASSWORD_MAX_LENGTH: "12" }, "PASSWORD_MIN_LENGTH"],
        [{ PWNED_PASSWORDS_URL: "not a url" }, "PWNED_PASSWORDS_URL"],
        [{ SESSION_IDLE_TIMEOUT_DAYS: "0" }, "SESSION_IDLE_TIMEOUT_DAYS"],
        [{ JWT_ALGORITHM: "none" }, "JWT_ALGORITHM"],
        [{ SIGNING_KEY_ROTATION_DAYS: "0" }, "SIGNING_KEY_ROTATION_DAYS"],
        [{ REFRESH_REUSE_WINDOW_SECONDS: "ten" }, "REFRESH_REUSE_WINDOW_SECONDS"],
        [{ SMTP_URL: "http://mail.example.com" }, "SMTP_URL"],
        [{ SMTP_URL: "smtp://" }, "SMTP_URL"],
        [{ SMTP_TIMEOUT_MS: "5" }, "SMTP_TIMEOUT_MS"],
        [{ PUBLIC_URL: "accounts.example.com" }, "PUBLIC_URL"],
        [{ PASSWORD_RESET_TOKEN_MINUTES: "0" }, "PASSWORD_RESET_TOKEN_MINUTES"],
        [{ EMAIL_VERIFICATION_TOKEN_HOURS: "never" }, "EMAIL_VERIFICATION_TOKEN_HOURS"],
        [{ REQUIRE_EMAIL_VERIFICATION: "yes please" }, "REQUIRE_EMAIL_VERIFICATION"],
        [{ NODE_ENV: "production", REQUIRE_EMAIL_VERIFICATION: "true" }, "REQUIRE_EMAIL_VERIFICATION"],
        [{ AUDIT_RETENTION_DAYS: "0" }, "AUDIT_RETENTION_DAYS"],
        [{ NODE_ENV: "production", SMTP_URL: "smtp://mail.example.com" }, "PUBLIC_URL"],
        [{ WEB_CONCURRENCY: "2" }, "WEB_CONCURRENCY"],
        [{ WEB_CONCURRENCY: "2", USERKIT_STORE: "memory" }, "WEB_CONCURRENCY"],
        [{ WEB_CONCURRENCY: "0", DATABASE_URL: "postgres://db/x" }, "WEB_CONCURRENCY"],
        [{ RATE_LIMIT_PASSWORD_FORGOT: "many" }, "RATE_LIMIT_PASSWORD_FORGOT"],
        [{ RATE_LIMIT_RECOVERY_PER_ACCOUNT: "5/0" }, "RATE_LIMIT_RECOVERY_PER_ACCOUNT"],
      ]
      for (const [env, variable] of cases) {
        const message = yield* refusal(env)
        expect(message).toContain("Invalid configuration")
        expect(message).toContain(variable)
      }
    }),
  )

  it.effect("reads the CORS origins and the metrics switch", () =>
    Effect.gen(function* () {
      const config = Either.getOrThrow(
        yield* load({
          CORS_ORIGINS: "https://app.example.com, http://localhost:5173",
          CORS_ALLOW_CREDENTIALS: "true",
          METRICS_ENABLED: "true",
        }),
      )
      expect(config.cors).toEqual({ origins: ["https://app.example.com", "http://localhost:5173"], credentials: true })
      expect(config.metricsEnabled).toBe(true)
      expect(Either.getOrThrow(yield* load({ CORS_ORIGINS: "*" })).cors).toEqual({ origins: ["*"], credentials: false })
    }),
  )

  it.effect("reads the rate limits, Redis, the trusted proxies and the password policy", () =>
    Effect.gen(function* () {
      const defaults = Either.getOrThrow(yield* load({}))
      expect(defaults.limits).toEqual(Option.some(DEFAULT_LIMIT_RULES))
      expect(defaults.passwords).toEqual({ rules: DEFAULT_PASSWORD_RULES, pwned: Option.none() })
      expect([defaults.redisUrl, defaults.trustedProxies]).toEqual([Option.none(), []])
      const config = Either.getOrThrow(
        yield* load({
          RATE_LIMIT_LOGIN: "5/60",
          LOGIN_BACKOFF_CAP_SECONDS: "120",
          REDIS_URL: "redis://127.0.0.1:6379",
          TRUSTED_PROXIES: "loopback, 10.0.0.0/8",
          PASSWORD_MIN_LENGTH: "12",
          PWNED_PASSWORDS_URL: "https://api.pwnedpasswords.com",
          PWNED_PASSWORDS_TIMEOUT_MS: "500",
        }),
      )
      const rules = Option.getOrThrow(config.limits)
      expect(rules.login).toEqual(new RateRule({ limit: 5, window: Duration.minutes(1) }))
      expect(rules.failedLogins.cap).toEqual(Duration.minutes(2))
      expect(rules.register).toEqual(DEFAULT_LIMIT_RULES.register)
      expect(config.redisUrl.pipe(Option.map(Redacted.value))).toEqual(Option.some("redis://127.0.0.1:6379"))
      expect(config.trustedProxies).toEqual(["loopback", "10.0.0.0/8"])
      expect(config.passwords.rules).toMatchObject({ minLength: 12, maxLength: 128 })
      expect(config.passwords.pwned).toEqual(
        Option.some({ url: "https://api.pwnedpasswords.com/", timeout: Duration.millis(500) }),
      )
      expect(Either.getOrThrow(yield* load({ RATE_LIMIT_ENABLED: "false" })).limits).toEqual(Option.none())
      expect(defaults.sessions).toEqual(DEFAULT_SESSION_RULES)
      const sessions = Either.getOrThrow(
        yield* load({
          SESSION_IDLE_TIMEOUT_DAYS: "1",
          SESSION_ABSOLUTE_TIMEOUT_DAYS: "2",
          REFRESH_REUSE_WINDOW_SECONDS: "0",
        }),
      ).sessions
      expect(sessions).toEqual(
        new SessionRules({
          idleTimeout: Duration.days(1),
          absoluteLifetime: Duration.days(2),
          reuseWindow: Duration.zero,
        }),
      )
    }),
  )

  it.effect("reads the server's limits", () =>
    Effect.gen(function* () {
      const config = Either.getOrThrow(
        yield* load({ HEADERS_TIMEOUT_SECONDS: "5", REQUEST_TIMEOUT_SECONDS: "5", MAX_CONNECTIONS: "64" }),
      )
      expect(config.server).toEqual({ headersTimeoutSeconds: 5, requestTimeoutSeconds: 5, maxConnections: 64 })
    }),
  )

  it.effect("reads mail and recovery: SMTP when set (empty is unset), links on PUBLIC_URL, token lifetimes", () =>
    Effect.gen(function* () {
      const defaults = Either.getOrThrow(yield* load({ PORT: "8123", SMTP_URL: "" }))
      expect(Option.isNone(defaults.mail.smtp)).toBe(true)
      expect(defaults.mail.from).toBe("userkit <no-reply@localhost>")
      expect(defaults.recovery.publicUrl.href).toBe("http://localhost:8123/")
      expect(Duration.toMinutes(defaults.recovery.resetTokenLifetime)).toBe(60)
      expect(Duration.toHours(defaults.recovery.verificationTokenLifetime)).toBe(24)
      expect(defaults.recovery.requireVerifiedEmail).toBe(false)
      expect(defaults.auditRetentionDays).toBe(365)
      const set = Either.getOrThrow(
        yield* load({
          SMTP_URL: "smtps://mailer:s3cret@smtp.example.com:465",
          SMTP_TIMEOUT_MS: "2500",
          MAIL_FROM: "Accounts <accounts@example.com>",
          PUBLIC_URL: "https://accounts.example.com/app",
          PASSWORD_RESET_TOKEN_MINUTES: "15",
          NODE_ENV: "production",
          REQUIRE_EMAIL_VERIFICATION: "true",
          AUDIT_RETENTION_DAYS: "90",
        }),
      )
      const smtp = Option.getOrThrow(set.mail.smtp)
      expect(Redacted.value(smtp.url)).toBe("smtps://mailer:s3cret@smtp.example.com:465")
      expect(Duration.toMillis(smtp.timeout)).toBe(2500)
      expect(set.recovery.publicUrl.href).toBe("https://accounts.example.com/app")
      expect(Duration.toMinutes(set.recovery.resetTokenLifetime)).toBe(15)
      expect(set.recovery.requireVerifiedEmail).toBe(true)
      expect(set.auditRetentionDays).toBe(90)
    }),
  )

  it.effect("never shows the SMTP password in a refusal", () =>
    Effect.gen(function* () {
      const message = yield* refusal({ SMTP_URL: "ftp://u:hunter2hunter2@mail.example.com" })
      expect(message).toContain("SMTP_URL")
      expect(message).not.toContain("hunter2")
    }),
  )

  it.effect("never shows the database URL in a refusal", () =>
    Effect.gen(function* () {
      const message = yield* refusal({ DATABASE_URL: "postgres://u:hunter2hunter2@db/x", PORT: "x" })
      expect(message).toContain("PORT")
      expect(message).not.toContain("hunter2")
    }),
  )
})
