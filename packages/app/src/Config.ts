import { join } from "node:path"
import { BcryptPasswordHasher } from "@userkit/adapters-crypto"
import { DEFAULT_MAX_BODY_BYTES, validateCors, validateTrustedProxies } from "@userkit/adapters-http/settings"
import {
  BackoffRule,
  DEFAULT_LIMIT_RULES,
  DEFAULT_PASSWORD_RULES,
  DEFAULT_SESSION_RULES,
  LimitRules,
  PasswordRules,
  RateRule,
  RecoveryRules,
  SessionRules,
} from "@userkit/domain"
import { Config, ConfigError, Duration, Either, LogLevel, Option, Redacted } from "effect"

/** Where users live: chosen by USERKIT_STORE, else by whether DATABASE_URL is set. */
export type StoreChoice =
  | { readonly kind: "memory" }
  | {
      readonly kind: "postgres"
      readonly url: Redacted.Redacted<string>
      /** The per-request statement prepared per connection (DATABASE_PREPARED_STATEMENTS, default true). */
      readonly preparedStatements: boolean
    }
  | { readonly kind: "embedded"; readonly dataDir: string }

export interface AppConfig {
  readonly port: number
  readonly host: string
  readonly production: boolean
  readonly store: StoreChoice
  readonly dataDir: string
  readonly secretKey: Option.Option<Redacted.Redacted<string>>
  readonly accessTokenMinutes: number
  /** How access tokens are signed: EdDSA with keys in the store, published as a JWKS; or HS256 with SECRET_KEY. */
  readonly jwtAlgorithm: "EdDSA" | "HS256"
  /** How often the EdDSA signing key is replaced. */
  readonly signingKeyRotationDays: number
  /** How long sessions last, and how long a rotated refresh token may be replayed. */
  readonly sessions: SessionRules
  readonly bcryptCost: number
  /** bcrypt hashes and verifications running at once, and how many more may wait (then 503). */
  readonly bcryptConcurrency: number
  readonly bcryptQueue: number
  /** How much lower the hashing threads' OS priority is than the event loop's (a nice increment). */
  readonly bcryptNice: number
  readonly logLevel: LogLevel.LogLevel
  readonly maxBodyBytes: number
  readonly metricsEnabled: boolean
  /** Origins allowed to call the API from a browser; none by default. */
  readonly cors: { readonly origins: ReadonlyArray<string>; readonly credentials: boolean }
  /** What the node:http server allows a client: slow ones are cut off, connections over the cap refused. */
  readonly server: ServerLimits
  /** The rate limits, or none (RATE_LIMIT_ENABLED=false). */
  readonly limits: Option.Option<LimitRules>
  /** Where the limits are counted when set (every instance alike); else in this process's memory. */
  readonly redisUrl: Option.Option<Redacted.Redacted<string>>
  /** Proxies (addresses, CIDRs) whose X-Forwarded-For tells the client's address; none by default. */
  readonly trustedProxies: ReadonlyArray<string>
  /** How long new passwords must be, and whether (and how patiently) to ask a Pwned Passwords service about them. */
  readonly passwords: PasswordSettings
  /** How mail leaves: SMTP when SMTP_URL is set; else the outbox (development) or nothing (production). */
  readonly mail: MailSettings
  /** Where emailed links point, how long they work, whether logins need a verified address. */
  readonly recovery: RecoveryRules
  /** How long security events are kept. */
  readonly auditRetentionDays: number
  /** Processes serving the port (node's cluster); 1 runs the app in this process alone. */
  readonly webConcurrency: number
}

export interface MailSettings {
  readonly smtp: Option.Option<{ readonly url: Redacted.Redacted<string>; readonly timeout: Duration.Duration }>
  readonly from: string
}

export interface PasswordSettings {
  readonly rules: PasswordRules
  readonly pwned: Option.Option<{ readonly url: string; readonly timeout: Duration.Duration }>
}

export interface ServerLimits {
  /** Time a client has to send a request's headers. */
  readonly headersTimeoutSeconds: number
  /** Time a client has to send a whole request, headers and body. */
  readonly requestTimeoutSeconds: number
  /** Connections open at once, idle keep-alive ones included; more are closed as they arrive. */
  readonly maxConnections: number
}

const integerIn = (name: string, min: number, max: number, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({
      message: `must be a whole number from ${min} to ${max}`,
      validation: (n) => n >= min && n <= max,
    }),
    Config.withDefault(fallback),
  )

const listOf = (list: string): ReadonlyArray<string> =>
  list
    .split(",")
    .map((item) => item.trim())
    .filter((item) => item.length > 0)

const corsOf = (list: string, credentials: boolean) => {
  const origins = listOf(list)
  // The HTTP adapter's own check, the one it applies when the layer is built.
  return Either.mapLeft(validateCors({ origins, credentials }), (wrong) =>
    ConfigError.InvalidData(["CORS_ORIGINS"], wrong),
  )
}

const serverLimitsOf = (limits: ServerLimits) =>
  // node:http refuses to start with a headers timeout longer than the request timeout.
  limits.headersTimeoutSeconds > limits.requestTimeoutSeconds
    ? Either.left(
        ConfigError.InvalidData(
          ["HEADERS_TIMEOUT_SECONDS"],
          `must not exceed REQUEST_TIMEOUT_SECONDS (${limits.requestTimeoutSeconds})`,
        ),
      )
    : Either.right(limits)

/** `count/seconds`, e.g. `30/300`: at most 30 in any 300 seconds. */
const rateRule = (name: string, fallback: RateRule) =>
  Config.string(name).pipe(
    Config.mapOrFail((text) => {
      const match = /^\s*(\d{1,9})\s*\/\s*(\d{1,9})\s*$/.exec(text)
      const [limit, seconds] = [Number(match?.[1]), Number(match?.[2])]
      return match !== null && limit >= 1 && seconds >= 1
        ? Either.right(new RateRule({ limit, window: Duration.seconds(seconds) }))
        : Either.left(ConfigError.InvalidData([name], "must be count/seconds, both at least 1, e.g. 30/300"))
    }),
    Config.withDefault(fallback),
  )

const defaults = DEFAULT_LIMIT_RULES
const wholeSeconds = (duration: Duration.Duration) => Math.round(Duration.toSeconds(duration))

const limitRules = Config.all({
  enabled: Config.boolean("RATE_LIMIT_ENABLED").pipe(Config.withDefault(true)),
  register: rateRule("RATE_LIMIT_REGISTER", defaults.register),
  login: rateRule("RATE_LIMIT_LOGIN", defaults.login),
  refresh: rateRule("RATE_LIMIT_REFRESH", defaults.refresh),
  passwordChange: rateRule("RATE_LIMIT_PASSWORD_CHANGE", defaults.passwordChange),
  passwordForgot: rateRule("RATE_LIMIT_PASSWORD_FORGOT", defaults.passwordForgot),
  passwordReset: rateRule("RATE_LIMIT_PASSWORD_RESET", defaults.passwordReset),
  emailVerify: rateRule("RATE_LIMIT_EMAIL_VERIFY", defaults.emailVerify),
  emailVerificationRequest: rateRule("RATE_LIMIT_EMAIL_VERIFICATION_REQUEST", defaults.emailVerificationRequest),
  emailChange: rateRule("RATE_LIMIT_EMAIL_CHANGE", defaults.emailChange),
  recoveryPerAccount: rateRule("RATE_LIMIT_RECOVERY_PER_ACCOUNT", defaults.recoveryPerAccount),
  failuresBeforeDelay: integerIn("LOGIN_BACKOFF_AFTER_FAILURES", 1, 1000, defaults.failedLogins.failuresBeforeDelay),
  baseSeconds: integerIn("LOGIN_BACKOFF_BASE_SECONDS", 1, 3600, wholeSeconds(defaults.failedLogins.base)),
  capSeconds: integerIn("LOGIN_BACKOFF_CAP_SECONDS", 1, 24 * 3600, wholeSeconds(defaults.failedLogins.cap)),
  forgetHours: integerIn(
    "LOGIN_BACKOFF_FORGET_HOURS",
    1,
    24 * 365,
    Duration.toHours(defaults.failedLogins.forgetAfter),
  ),
  knownAddressDays: integerIn("KNOWN_ADDRESS_DAYS", 1, 3650, Duration.toDays(defaults.knownAddressFor)),
}).pipe(
  Config.mapOrFail(
    ({ enabled, failuresBeforeDelay, baseSeconds, capSeconds, forgetHours, knownAddressDays, ...perAddress }) => {
      if (!enabled) return Either.right(Option.none<LimitRules>())
      if (capSeconds < baseSeconds)
        return Either.left(
          ConfigError.InvalidData(
            ["LOGIN_BACKOFF_CAP_SECONDS"],
            `must be at least LOGIN_BACKOFF_BASE_SECONDS (${baseSeconds})`,
          ),
        )
      const failedLogins = new BackoffRule({
        failuresBeforeDelay,
        base: Duration.seconds(baseSeconds),
        cap: Duration.seconds(capSeconds),
        forgetAfter: Duration.hours(forgetHours),
      })
      return Either.right(
        Option.some(new LimitRules({ ...perAddress, failedLogins, knownAddressFor: Duration.days(knownAddressDays) })),
      )
    },
  ),
)

const passwordSettings: Config.Config<PasswordSettings> = Config.all({
  minLength: integerIn("PASSWORD_MIN_LENGTH", 1, 1024, DEFAULT_PASSWORD_RULES.minLength),
  maxLength: integerIn("PASSWORD_MAX_LENGTH", 1, 1024, DEFAULT_PASSWORD_RULES.maxLength),
  pwnedUrl: Config.option(Config.url("PWNED_PASSWORDS_URL")),
  pwnedTimeoutMs: integerIn("PWNED_PASSWORDS_TIMEOUT_MS", 50, 60_000, 2000),
}).pipe(
  Config.mapOrFail(({ minLength, maxLength, pwnedUrl, pwnedTimeoutMs }) =>
    minLength > maxLength
      ? Either.left(
          ConfigError.InvalidData(["PASSWORD_MIN_LENGTH"], `must not exceed PASSWORD_MAX_LENGTH (${maxLength})`),
        )
      : Either.right({
          rules: new PasswordRules({ minLength, maxLength }),
          pwned: Option.map(pwnedUrl, (url) => ({ url: url.href, timeout: Duration.millis(pwnedTimeoutMs) })),
        }),
  ),
)

// Empty counts as unset (a compose file's `${SMTP_URL:-}`).
const smtpUrl = Config.redacted("SMTP_URL").pipe(
  Config.withDefault(Redacted.make("")),
  Config.mapOrFail((url) => {
    const text = Redacted.value(url).trim()
    if (text === "") return Either.right(Option.none<Redacted.Redacted<string>>())
    // Checked here so a wrong one stops the start with its name, never quoting it (it holds a password).
    const parsed = URL.canParse(text) ? new URL(text) : undefined
    return parsed !== undefined &&
      (parsed.protocol === "smtp:" || parsed.protocol === "smtps:") &&
      parsed.hostname !== ""
      ? Either.right(Option.some(Redacted.make(text)))
      : Either.left(ConfigError.InvalidData(["SMTP_URL"], "must be smtp://[user:password@]host[:port] or smtps://..."))
  }),
)

const mailSettings: Config.Config<MailSettings> = Config.all({
  url: smtpUrl,
  timeoutMs: integerIn("SMTP_TIMEOUT_MS", 100, 300_000, 10_000),
  from: Config.nonEmptyString("MAIL_FROM").pipe(Config.withDefault("userkit <no-reply@localhost>")),
}).pipe(
  Config.map(({ url, timeoutMs, from }) => ({
    smtp: Option.map(url, (url) => ({ url, timeout: Duration.millis(timeoutMs) })),
    from,
  })),
)

const recoverySettings = Config.all({
  publicUrl: Config.option(Config.url("PUBLIC_URL")),
  resetMinutes: integerIn("PASSWORD_RESET_TOKEN_MINUTES", 1, 7 * 24 * 60, 60),
  verificationHours: integerIn("EMAIL_VERIFICATION_TOKEN_HOURS", 1, 90 * 24, 24),
  requireVerifiedEmail: Config.boolean("REQUIRE_EMAIL_VERIFICATION").pipe(Config.withDefault(false)),
})

/** The recovery rules; links point at PUBLIC_URL, else at this server on localhost. */
const recoveryRules = (port: number, settings: typeof recoverySettings extends Config.Config<infer A> ? A : never) =>
  new RecoveryRules({
    publicUrl: Option.getOrElse(settings.publicUrl, () => new URL(`http://localhost:${port}`)),
    resetTokenLifetime: Duration.minutes(settings.resetMinutes),
    verificationTokenLifetime: Duration.hours(settings.verificationHours),
    requireVerifiedEmail: settings.requireVerifiedEmail,
  })

/** Every setting the app reads from its environment; `.env.example` lists them all. */
export const AppConfig: Config.Config<AppConfig> = Config.all({
  port: Config.port("PORT").pipe(Config.withDefault(8000)),
  host: Config.string("HOST").pipe(Config.withDefault("127.0.0.1")),
  production: Config.string("NODE_ENV").pipe(
    Config.map((env) => env === "production"),
    Config.withDefault(false),
  ),
  storeChoice: Config.option(Config.literal("memory", "postgres", "embedded")("USERKIT_STORE")),
  databaseUrl: Config.option(Config.redacted("DATABASE_URL")),
  preparedStatements: Config.boolean("DATABASE_PREPARED_STATEMENTS").pipe(Config.withDefault(true)),
  dataDir: Config.nonEmptyString("DATA_DIR").pipe(Config.withDefault("./.data")),
  secretKey: Config.option(Config.redacted("SECRET_KEY")),
  accessTokenMinutes: integerIn("ACCESS_TOKEN_EXPIRE_MINUTES", 1, 24 * 60, 15),
  jwtAlgorithm: Config.literal("EdDSA", "HS256")("JWT_ALGORITHM").pipe(Config.withDefault("EdDSA" as const)),
  signingKeyRotationDays: integerIn("SIGNING_KEY_ROTATION_DAYS", 1, 3650, 30),
  sessions: Config.all({
    idleDays: integerIn("SESSION_IDLE_TIMEOUT_DAYS", 1, 3650, Duration.toDays(DEFAULT_SESSION_RULES.idleTimeout)),
    absoluteDays: integerIn(
      "SESSION_ABSOLUTE_TIMEOUT_DAYS",
      1,
      3650,
      Duration.toDays(DEFAULT_SESSION_RULES.absoluteLifetime),
    ),
    reuseSeconds: integerIn(
      "REFRESH_REUSE_WINDOW_SECONDS",
      0,
      300,
      Duration.toSeconds(DEFAULT_SESSION_RULES.reuseWindow),
    ),
  }).pipe(
    Config.map(
      ({ idleDays, absoluteDays, reuseSeconds }) =>
        new SessionRules({
          idleTimeout: Duration.days(idleDays),
          absoluteLifetime: Duration.days(absoluteDays),
          reuseWindow: Duration.seconds(reuseSeconds),
        }),
    ),
  ),
  bcryptCost: integerIn(
    "BCRYPT_COST",
    BcryptPasswordHasher.MIN_COST,
    BcryptPasswordHasher.MAX_COST,
    BcryptPasswordHasher.DEFAULT_COST,
  ),
  bcryptConcurrency: integerIn("BCRYPT_CONCURRENCY", 1, 1024, BcryptPasswordHasher.defaultConcurrency()),
  bcryptQueue: integerIn("BCRYPT_QUEUE", 0, 1_000_000, BcryptPasswordHasher.DEFAULT_QUEUE),
  bcryptNice: integerIn("BCRYPT_NICE", 0, BcryptPasswordHasher.MAX_NICE, BcryptPasswordHasher.DEFAULT_NICE),
  logLevel: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  maxBodyBytes: integerIn("MAX_BODY_BYTES", 1024, 16 * 1024 * 1024, DEFAULT_MAX_BODY_BYTES),
  metricsEnabled: Config.boolean("METRICS_ENABLED").pipe(Config.withDefault(false)),
  cors: Config.all({
    origins: Config.string("CORS_ORIGINS").pipe(Config.withDefault("")),
    credentials: Config.boolean("CORS_ALLOW_CREDENTIALS").pipe(Config.withDefault(false)),
  }).pipe(Config.mapOrFail(({ origins, credentials }) => corsOf(origins, credentials))),
  server: Config.all({
    headersTimeoutSeconds: integerIn("HEADERS_TIMEOUT_SECONDS", 1, 300, 10),
    requestTimeoutSeconds: integerIn("REQUEST_TIMEOUT_SECONDS", 1, 3600, 30),
    maxConnections: integerIn("MAX_CONNECTIONS", 1, 1_000_000, 1000),
  }).pipe(Config.mapOrFail(serverLimitsOf)),
  limits: limitRules,
  redisUrl: Config.option(Config.redacted("REDIS_URL")),
  passwords: passwordSettings,
  mail: mailSettings,
  recovery: recoverySettings,
  auditRetentionDays: integerIn("AUDIT_RETENTION_DAYS", 1, 36500, 365),
  webConcurrency: integerIn("WEB_CONCURRENCY", 1, 64, 1),
  trustedProxies: Config.string("TRUSTED_PROXIES").pipe(
    Config.withDefault(""),
    Config.mapOrFail((list) =>
      Either.mapLeft(validateTrustedProxies(listOf(list)), (wrong) =>
        ConfigError.InvalidData(["TRUSTED_PROXIES"], wrong),
      ),
    ),
  ),
}).pipe(
  Config.mapOrFail(
    ({
      storeChoice,
      databaseUrl,
      preparedStatements,
      recovery,
      ...rest
    }): Either.Either<AppConfig, ConfigError.ConfigError> => {
      const config = { ...rest, recovery: recoveryRules(rest.port, recovery) }
      // Production has no outbox: with no SMTP_URL, nothing can be mailed, so no address can be verified.
      if (config.production && config.recovery.requireVerifiedEmail && Option.isNone(config.mail.smtp))
        return Either.left(
          ConfigError.InvalidData(["REQUIRE_EMAIL_VERIFICATION"], "needs SMTP_URL in production: no one could verify"),
        )
      // Links mailed from production must point where users reach the service, not at localhost.
      if (config.production && Option.isSome(config.mail.smtp) && Option.isNone(recovery.publicUrl))
        return Either.left(
          ConfigError.MissingData(
            ["PUBLIC_URL"],
            "production with SMTP_URL needs PUBLIC_URL: mailed links point there",
          ),
        )
      const kind = Option.getOrElse(storeChoice, () => (Option.isSome(databaseUrl) ? "postgres" : "embedded"))
      // The embedded engine is one process's (it locks DATA_DIR), and memory would give each worker
      // its own accounts: several workers need a PostgreSQL server.
      if (config.webConcurrency > 1 && kind !== "postgres")
        return Either.left(
          ConfigError.InvalidData(["WEB_CONCURRENCY"], "more than 1 needs DATABASE_URL (a PostgreSQL server)"),
        )
      switch (kind) {
        case "memory":
          return Either.right({ ...config, store: { kind } })
        case "embedded":
          return Either.right({ ...config, store: { kind, dataDir: join(config.dataDir, "pgdata") } })
        case "postgres":
          return Option.match(databaseUrl, {
            onNone: () =>
              Either.left(ConfigError.MissingData(["DATABASE_URL"], "USERKIT_STORE=postgres needs DATABASE_URL")),
            onSome: (url) => Either.right({ ...config, store: { kind, url, preparedStatements } }),
          })
      }
    },
  ),
)

/** A configuration error as an operator should read it: which variable, and what is wrong. */
export const describeConfigError = (error: ConfigError.ConfigError): string =>
  `Invalid configuration: ${String(error).replace(/^\(|\)$/g, "")}`
