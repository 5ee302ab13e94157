import { createServer } from "node:http"
import { HttpServer } from "@effect/platform"
import { JwtAccessTokens } from "@userkit/adapters-crypto"
import {
  FastPasswordHasher,
  MemoryAccountTokenStore,
  MemoryAuditLog,
  MemoryMailer,
  MemoryRateLimiter,
  MemorySessionStore,
  MemoryUserRepository,
} from "@userkit/adapters-memory"
import {
  CurrentSessionRules,
  type LimitRules,
  Limits,
  PasswordPolicy,
  RefreshTokens,
  type SessionRules,
  Transactions,
  UseCases,
  type UserRepository,
} from "@userkit/domain"
import { Context, Duration, Effect, HashMap, Layer, Logger, Option, Redacted, Ref } from "effect"
import { HttpApp, NodeServing, ReadinessCheck } from "../../src/index.js"

export const tokenOptions = {
  secret: Redacted.make("a test secret of at least thirty-two bytes"),
  issuer: "userkit-test",
  audience: "userkit-test-api",
  ttl: Duration.minutes(5),
} as const

/** The key the test app signs listing cursors with; a test may build another app with another key. */
export const testCursorKey = Redacted.make(new TextEncoder().encode("a test cursor key of at least 32 bytes"))

export interface LogEntry {
  readonly level: string
  readonly message: unknown
  readonly annotations: Readonly<Record<string, unknown>>
}

/** The app under test, served on a real socket: where it listens, its readiness switch, its log lines. */
export class TestApp extends Context.Tag("test/TestApp")<
  TestApp,
  {
    readonly baseUrl: string
    readonly port: number
    readonly setNotReady: (reason: Option.Option<string>) => Effect.Effect<void>
    readonly logs: ReadonlyArray<LogEntry>
  }
>() {}

export interface TestDomainOptions {
  /** Replaces the memory store (one that fails on cue, say). */
  readonly users?: Layer.Layer<UserRepository>
  /** The limits to apply, counted in memory; none when absent. */
  readonly limits?: LimitRules
  /** How long sessions last and refresh tokens may be replayed; the defaults when absent. */
  readonly sessionRules?: SessionRules
}

const domain = ({ users = MemoryUserRepository.layer, limits, sessionRules }: TestDomainOptions) =>
  UseCases.layer.pipe(
    Layer.provideMerge(
      Layer.mergeAll(
        MemoryAccountTokenStore.layer,
        MemoryMailer.layer,
        Transactions.sequential,
        FastPasswordHasher.layer(),
        JwtAccessTokens.layer(tokenOptions),
        PasswordPolicy.layer(),
        MemorySessionStore.layer,
        RefreshTokens.random,
        sessionRules === undefined ? Layer.empty : Layer.succeed(CurrentSessionRules, sessionRules),
        limits === undefined ? Limits.unlimited : Limits.layer(limits).pipe(Layer.provide(MemoryRateLimiter.layer)),
      ),
    ),
    Layer.provideMerge(Layer.merge(users, MemoryAuditLog.layer)),
  )

/**
 * `HttpApp.layer` on port 0 over the memory store, bcrypt-free hashing and real JWTs. The store,
 * hasher and token services are exposed too, so a test can set up what the API cannot (an inactive user).
 */
export const testApp = (options: Partial<HttpApp.Options> = {}, domainOptions: TestDomainOptions = {}) =>
  Layer.unwrapEffect(
    Effect.gen(function* () {
      const notReady = yield* Ref.make(Option.none<string>())
      const logs: Array<LogEntry> = []
      const capture = Logger.make(({ logLevel, message, annotations }) => {
        logs.push({ level: logLevel.label, message, annotations: Object.fromEntries(HashMap.toEntries(annotations)) })
      })
      const readiness = Layer.succeed(ReadinessCheck.ReadinessCheck, {
        check: Effect.flatMap(
          Ref.get(notReady),
          Option.match({ onNone: () => Effect.void, onSome: (reason) => new ReadinessCheck.NotReady({ reason }) }),
        ),
      })
      const handle = Layer.effect(
        TestApp,
        Effect.map(HttpServer.HttpServer, (server) => {
          const port = server.address._tag === "TcpAddress" ? server.address.port : 0
          return { baseUrl: `http://127.0.0.1:${port}`, port, setNotReady: (r) => Ref.set(notReady, r), logs }
        }),
      )
      return handle.pipe(
        Layer.provideMerge(HttpApp.layer({ cursorKey: testCursorKey, ...options })),
        Layer.provideMerge(NodeServing.layer(createServer, { port: 0 })),
        Layer.provideMerge(domain(domainOptions)),
        Layer.provide(readiness),
        Layer.provide(Logger.replace(Logger.defaultLogger, capture)),
      )
    }),
  )
