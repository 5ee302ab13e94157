import { Command, Options } from "@effect/cli"
import { Administration, Limits, NewSuperuser, PasswordPolicy, type PasswordRejected, UseCases } from "@userkit/domain"
import { Console, Effect, Layer, ParseResult, Redacted, Schema } from "effect"
import { CliFailure, databaseFailure, ExitCode, loadConfig } from "./CliFailure.js"
import { PASSWORD_VARIABLE, readPassword } from "./PasswordInput.js"

// Each wrong field on its own line, by name. The domain's messages never echo a password.
const invalidInput = (error: ParseResult.ParseError) =>
  new CliFailure({
    reason: ParseResult.ArrayFormatter.formatErrorSync(error)
      .map((issue) => `invalid ${issue.path.join(".") || "input"}: ${issue.message}`)
      .join("\n"),
    code: ExitCode.usage,
  })

// Checked before the password is asked for, so a typo in the email costs no typing.
const Identity = Schema.Struct({ email: NewSuperuser.fields.email, username: NewSuperuser.fields.username })

const weakPassword = ({ reason }: PasswordRejected) =>
  new CliFailure({ reason: `invalid password: ${reason}`, code: ExitCode.usage })

const conflict = (reason: string) =>
  Effect.fail(new CliFailure({ reason: `${reason}: no account was created`, code: ExitCode.failure }))

const email = Options.text("email").pipe(
  Options.withPseudoName("EMAIL"),
  Options.withDescription("The superuser's e-mail address."),
)
const username = Options.text("username").pipe(
  Options.withPseudoName("USERNAME"),
  Options.withDescription("The superuser's username (3-100 characters)."),
)

/**
 * `userkit create-superuser --email E --username U`: an active superuser, through the domain's
 * Administration.bootstrapSuperuser on the configured store (so pending migrations run first).
 */
export const createSuperuser = Command.make("create-superuser", { email, username }, (options) =>
  Effect.gen(function* () {
    const config = yield* loadConfig
    if (config.store.kind === "memory")
      return yield* new CliFailure({
        reason: "USERKIT_STORE=memory keeps nothing: a superuser created here would vanish when this command exits",
        code: ExitCode.usage,
      })
    yield* Schema.decodeUnknown(Identity)(options).pipe(Effect.mapError(invalidInput))
    const password = yield* readPassword
    const input = yield* Schema.decodeUnknown(NewSuperuser)({ ...options, password: Redacted.value(password) }).pipe(
      Effect.mapError(invalidInput),
    )
    // The local rules, before the store is opened; the use case checks again, breaches included.
    const policy = yield* PasswordPolicy.make(config.passwords.rules)
    yield* policy.check(input.password, input, "password").pipe(Effect.mapError(weakPassword))
    // Loaded here, not on top: `migrate` and `--help` then start without the HTTP and crypto adapters.
    const { accountsLayer, mailerLayer } = yield* Effect.promise(() => import("../Live.js"))
    const user = yield* Effect.flatMap(Administration, (administration) =>
      administration.bootstrapSuperuser(input),
    ).pipe(
      Effect.provide(
        UseCases.administration.pipe(
          Layer.provide(Layer.mergeAll(accountsLayer(config), mailerLayer(config), Limits.unlimited)),
        ),
      ),
      Effect.catchTags({
        EmailAlreadyRegistered: () => conflict(`the email ${input.email} is already registered`),
        UsernameTaken: () => conflict(`the username ${input.username} is already taken`),
        PasswordRejected: (rejected) => Effect.fail(weakPassword(rejected)),
        SqlError: (error) => Effect.fail(databaseFailure(config.store)(error)),
        MigrationError: (error) => Effect.fail(databaseFailure(config.store)(error)),
        DataDirectoryUnavailable: (error) => Effect.fail(databaseFailure(config.store)(error)),
      }),
    )
    yield* Console.log(`created superuser ${user.username} <${user.email}> (id ${user.id})`)
  }),
).pipe(
  Command.withDescription(
    `Create an active superuser. The password is read from ${PASSWORD_VARIABLE} when set, else asked twice without echo on a terminal, else taken from the first line of standard input.`,
  ),
)
