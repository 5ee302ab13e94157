import { Config, ConfigError, Either, LogLevel, type Option, type Redacted } from "effect"

export type StoreKind = "memory" | "postgres" | "embedded"

export interface AppConfig {
  readonly port: number
  readonly host: string
  readonly production: boolean
  readonly store: StoreKind
  readonly databaseUrl: Option.Option<Redacted.Redacted<string>>
  readonly dataDir: string
  readonly secretKey: Option.Option<Redacted.Redacted<string>>
  readonly accessTokenMinutes: number
  readonly bcryptCost: number
  readonly logLevel: LogLevel.LogLevel
  readonly maxBodyBytes: number
}

const integerIn = (name: string, min: number, max: number, fallback: number) =>
  Config.integer(name).pipe(
    Config.validate({
      message: `must be a whole number from ${min} to ${max}`,
      validation: (n) => n >= min && n <= max,
    }),
    Config.withDefault(fallback),
  )

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
  dataDir: Config.nonEmptyString("DATA_DIR").pipe(Config.withDefault("./.data")),
  secretKey: Config.option(Config.redacted("SECRET_KEY")),
  accessTokenMinutes: integerIn("ACCESS_TOKEN_EXPIRE_MINUTES", 1, 24 * 60, 30),
  bcryptCost: integerIn("BCRYPT_COST", 4, 31, 12),
  logLevel: Config.logLevel("LOG_LEVEL").pipe(Config.withDefault(LogLevel.Info)),
  maxBodyBytes: integerIn("MAX_BODY_BYTES", 1024, 16 * 1024 * 1024, 64 * 1024),
}).pipe(
  Config.mapOrFail(({ storeChoice, ...config }) => {
    const store: StoreKind =
      storeChoice._tag === "Some" ? storeChoice.value : config.databaseUrl._tag === "Some" ? "postgres" : "embedded"
    if (store === "postgres" && config.databaseUrl._tag === "None")
      return Either.left(ConfigError.MissingData(["DATABASE_URL"], "USERKIT_STORE=postgres needs DATABASE_URL"))
    return Either.right({ ...config, store })
  }),
)

/** A configuration error as an operator should read it: which variable, and what is wrong. */
export const describeConfigError = (error: ConfigError.ConfigError): string =>
  `Invalid configuration: ${String(error).replace(/^\(|\)$/g, "")}`
