import type { Server } from "node:http"
import { join } from "node:path"
import { HttpMiddleware, HttpServer } from "@effect/platform"
import {
  BcryptPasswordHasher,
  EdDsaAccessTokens,
  JwtAccessTokens,
  NodeDigests,
  PwnedPasswords,
  SigningKeyRing,
} from "@userkit/adapters-crypto"
import { HttpApp, NodeServing } from "@userkit/adapters-http"
import { OutboxMailer, SmtpMailer } from "@userkit/adapters-mail"
import { MemoryRateLimiter } from "@userkit/adapters-memory"
import { PoolStats } from "@userkit/adapters-postgres"
import { RedisRateLimiter } from "@userkit/adapters-redis"
import {
  AccountTokenStore,
  AuditLog,
  CurrentRecoveryRules,
  CurrentSessionRules,
  Limits,
  Mailer,
  PasswordPolicy,
  RefreshTokens,
  SessionStore,
  UseCases,
} from "@userkit/domain"
import { DateTime, Duration, Effect, Layer, Option, type Redacted, Schedule } from "effect"
import type { AppConfig } from "./Config.js"
import { deriveKey } from "./SecretKey.js"
import { storeLayer } from "./Store.js"

/** Issuer and audience of access tokens: fixed, so every instance of a deployment agrees. */
export const TOKEN_ISSUER = "userkit"
export const TOKEN_AUDIENCE = "userkit-api"

/** The HKDF label of the key that signs the listings' cursors. */
export const LISTING_CURSOR_KEY = "userkit/listing-cursor/v1"
/** The HKDF label of the key refresh tokens' successors derive under. */
export const REFRESH_TOKEN_KEY = "userkit/refresh-token/v1"

/** How often ended sessions (and their refresh tokens) are deleted, and how long after they end. */
const PURGE_EVERY = Duration.hours(1)
const PURGE_AFTER = Duration.days(1)

/**
 * Deletes, in the background, hourly: ended sessions a day after they end (so a reuse of a recently
 * retired token is still recognized as one), emailed tokens a day after they expired or were used,
 * and security events older than AUDIT_RETENTION_DAYS. A failed purge is logged and tried again
 * next hour.
 */
export const purges = (auditRetention: Duration.Duration) =>
  Layer.scopedDiscard(
    Effect.gen(function* () {
      const sessions = yield* SessionStore
      const tokens = yield* AccountTokenStore
      const audit = yield* AuditLog
      const purgeAll = Effect.gen(function* () {
        const now = yield* DateTime.now
        const purged = {
          sessions: yield* sessions.purge(PURGE_AFTER),
          tokens: yield* tokens.purge(DateTime.subtractDuration(now, PURGE_AFTER)),
          events: yield* audit.purge(DateTime.subtractDuration(now, auditRetention)),
        }
        if (purged.sessions + purged.tokens + purged.events > 0) yield* Effect.logDebug("purged", purged)
      })
      yield* purgeAll.pipe(
        Effect.catchAllCause((cause) => Effect.logWarning("purging ended records failed; will try again", cause)),
        Effect.repeat(Schedule.spaced(PURGE_EVERY)),
        Effect.delay(Duration.minutes(1)),
        Effect.forkScoped,
      )
    }),
  )

/**
 * How mail leaves: over SMTP when SMTP_URL is set; else, in development, written to the outbox
 * under DATA_DIR; in production, not at all (the recovery endpoints answer 503).
 */
export const mailerLayer = ({ mail, production, dataDir }: AppConfig): Layer.Layer<Mailer> =>
  Option.match(mail.smtp, {
    onSome: ({ url, timeout }) => SmtpMailer.layer({ url, from: mail.from, timeout }),
    onNone: () =>
      production ? Mailer.unconfigured : OutboxMailer.layer({ dir: join(dataDir, "outbox"), from: mail.from }),
  })

/** The password policy by config, asking a Pwned Passwords service when PWNED_PASSWORDS_URL is set. */
const passwordPolicyLayer = ({ passwords }: AppConfig): Layer.Layer<PasswordPolicy> =>
  Option.match(passwords.pwned, {
    onNone: () => PasswordPolicy.layer(passwords.rules),
    onSome: (pwned) => PasswordPolicy.layer(passwords.rules).pipe(Layer.provide(PwnedPasswords.layer(pwned))),
  })

/** The accounts' store (by config), bcrypt and the password policy: what the use cases need besides tokens and limits. */
export const accountsLayer = (config: AppConfig) =>
  Layer.mergeAll(
    storeLayer(config.store),
    passwordPolicyLayer(config),
    BcryptPasswordHasher.layer({
      cost: config.bcryptCost,
      concurrency: config.bcryptConcurrency,
      queue: config.bcryptQueue,
      nice: config.bcryptNice,
    }),
  )

/** The limits by config, counted in Redis when REDIS_URL is set, else in this process's memory; refusals audited. */
export const limitsLayer = (config: AppConfig): Layer.Layer<Limits, never, AuditLog> =>
  Option.match(config.limits, {
    onNone: () => Limits.unlimited,
    onSome: (rules) =>
      Limits.layer(rules).pipe(
        Layer.provide(
          Option.match(config.redisUrl, {
            onNone: () => MemoryRateLimiter.layer,
            onSome: (url) => RedisRateLimiter.layer({ url }),
          }),
        ),
      ),
  })

/** The HKDF label of the key that seals the EdDSA signing keys in the store. */
export const SIGNING_KEY_SEAL = "userkit/signing-keys/v1"

/**
 * Access tokens by config: EdDSA on the signing keys kept (sealed) in the store, shared by every
 * instance and published as a JWKS; or HS256 under SECRET_KEY (JWT_ALGORITHM=HS256).
 */
const accessTokensLayer = (config: AppConfig, secretKey: Redacted.Redacted<string>) => {
  const ttl = Duration.minutes(config.accessTokenMinutes)
  const common = { issuer: TOKEN_ISSUER, audience: TOKEN_AUDIENCE }
  return config.jwtAlgorithm === "HS256"
    ? JwtAccessTokens.layer({ ...common, secret: secretKey, ttl })
    : EdDsaAccessTokens.layer({ ttl }).pipe(
        Layer.provideMerge(
          SigningKeyRing.layer({
            ...common,
            secret: deriveKey(secretKey, SIGNING_KEY_SEAL),
            rotateEvery: Duration.days(config.signingKeyRotationDays),
            tokenLifetime: ttl,
          }),
        ),
      )
}

/** The domain wired to its adapters: store by config, bcrypt, access and refresh tokens, limits. */
export const domainLayer = (config: AppConfig, secretKey: Redacted.Redacted<string>) => {
  // One store for all: the signing keys live beside the accounts and sessions.
  const accounts = accountsLayer(config)
  return UseCases.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        accounts,
        limitsLayer(config).pipe(Layer.provide(accounts)),
        mailerLayer(config),
        RefreshTokens.layer(deriveKey(secretKey, REFRESH_TOKEN_KEY)),
        Layer.succeed(CurrentSessionRules, config.sessions),
        Layer.succeed(CurrentRecoveryRules, config.recovery),
        accessTokensLayer(config, secretKey).pipe(Layer.provide(accounts)),
      ),
    ),
  )
}

/** The pool's use as Prometheus gauges, when the store has a pool. */
const poolGauges = Effect.map(Effect.serviceOption(PoolStats), (stats) =>
  Option.match(stats, {
    onNone: (): ReadonlyArray<HttpApp.MetricsGauge> => [],
    onSome: ({ read }) =>
      (["open", "idle", "waiting", "max"] as const).map((field) => ({
        name: `userkit_db_pool_connections_${field}`,
        help:
          field === "waiting"
            ? "Queries waiting for a database connection"
            : `Database connections ${field === "max" ? "allowed in the pool" : field}`,
        read: Effect.map(read, (use) => use[field]),
      })),
  }),
)

const httpLayer = (config: AppConfig, secretKey: Redacted.Redacted<string>) =>
  Layer.unwrapEffect(
    Effect.map(Effect.all([poolGauges, Effect.serviceOption(SigningKeyRing.SigningKeyRing)]), ([metricsGauges, ring]) =>
      HttpApp.layer({
        ...Option.match(ring, { onNone: () => ({}), onSome: ({ jwks }) => ({ publicKeys: jwks }) }),
        maxBodyBytes: config.maxBodyBytes,
        metrics: config.metricsEnabled,
        metricsGauges,
        cursorKey: deriveKey(secretKey, LISTING_CURSOR_KEY),
        trustedProxies: config.trustedProxies,
        ...(config.cors.origins.length > 0 ? { cors: config.cors } : {}),
      }),
    ),
  )

/**
 * The whole service. The store (engine, pool, migrations) is built before the server listens, so
 * no request arrives while migrations run. Effect's tracer is off: the app exports no traces, and
 * the spans of every request cost about 8% of the throughput of `GET /me` (measured with
 * `pnpm bench me`). An embedder who exports traces composes the domain with tracing on.
 */
export const appLayer = (config: AppConfig, secretKey: Redacted.Redacted<string>, server: () => Server) =>
  httpLayer(config, secretKey).pipe(
    // The platform's request span reads the URL and copies the headers even with the tracer off.
    HttpMiddleware.withTracerDisabledWhen(() => true),
    HttpServer.withLogAddress,
    Layer.provide(NodeServing.layer(server, { port: config.port, host: config.host })),
    Layer.merge(purges(Duration.days(config.auditRetentionDays))),
    Layer.provide(domainLayer(config, secretKey)),
    // Token digests and MACs (domain and HTTP: refresh and emailed tokens, directory cursors) by
    // node:crypto, on the caller's turn.
    Layer.provide(NodeDigests.layer),
    Layer.provide(Layer.setTracerEnabled(false)),
  )
