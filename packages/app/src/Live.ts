import type { Server } from "node:http"
import { HttpServer } from "@effect/platform"
import { NodeHttpServer } from "@effect/platform-node"
import { BcryptPasswordHasher, JwtAccessTokens, PwnedPasswords } from "@userkit/adapters-crypto"
import { HttpApp } from "@userkit/adapters-http"
import { MemoryRateLimiter } from "@userkit/adapters-memory"
import { PoolStats } from "@userkit/adapters-postgres"
import { RedisRateLimiter } from "@userkit/adapters-redis"
import { Limits, PasswordPolicy, UseCases } from "@userkit/domain"
import { Duration, Effect, Layer, Option, type Redacted } from "effect"
import type { AppConfig } from "./Config.js"
import { deriveKey } from "./SecretKey.js"
import { storeLayer } from "./Store.js"

/** Issuer and audience of access tokens: fixed, so every instance of a deployment agrees. */
export const TOKEN_ISSUER = "userkit"
export const TOKEN_AUDIENCE = "userkit-api"

/** The HKDF label of the key that signs the listings' cursors. */
export const LISTING_CURSOR_KEY = "userkit/listing-cursor/v1"

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
    }),
  )

/** The limits by config, counted in Redis when REDIS_URL is set, else in this process's memory. */
export const limitsLayer = (config: AppConfig): Layer.Layer<Limits> =>
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

/** The domain wired to its adapters: store by config, bcrypt, HS256 tokens, limits. */
export const domainLayer = (config: AppConfig, secretKey: Redacted.Redacted<string>) =>
  UseCases.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        accountsLayer(config),
        limitsLayer(config),
        JwtAccessTokens.layer({
          secret: secretKey,
          issuer: TOKEN_ISSUER,
          audience: TOKEN_AUDIENCE,
          ttl: Duration.minutes(config.accessTokenMinutes),
        }),
      ),
    ),
  )

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
    Effect.map(poolGauges, (metricsGauges) =>
      HttpApp.layer({
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
    HttpServer.withLogAddress,
    Layer.provide(NodeHttpServer.layer(server, { port: config.port, host: config.host })),
    Layer.provide(domainLayer(config, secretKey)),
    Layer.provide(Layer.setTracerEnabled(false)),
  )
