import { Context, Effect, Layer, Option, Redacted, Schema } from "effect"
import { traced } from "../Traced.js"
import { MAX_PASSWORD_LENGTH } from "./Password.js"

/**
 * How long a new password must be, in characters (code points after NFKC, the form the hashers
 * hash). No composition rules: NIST SP 800-63B advises against them.
 */
export class PasswordRules extends Schema.Class<PasswordRules>("PasswordRules")(
  Schema.Struct({
    minLength: Schema.optionalWith(
      Schema.Int.pipe(Schema.greaterThanOrEqualTo(1, { message: () => "minLength must be at least 1" })),
      { default: () => 8 },
    ),
    maxLength: Schema.optionalWith(
      Schema.Int.pipe(
        Schema.lessThanOrEqualTo(MAX_PASSWORD_LENGTH, {
          message: () => `maxLength must be at most ${MAX_PASSWORD_LENGTH}`,
        }),
      ),
      { default: () => 128 },
    ),
  }).pipe(Schema.filter(({ minLength, maxLength }) => minLength <= maxLength || "minLength must be at most maxLength")),
) {}

/** 8 to 128 characters. */
export const DEFAULT_PASSWORD_RULES = new PasswordRules({})

/** A new password the policy refuses: `reason` says why, never echoing it; `field` names the input it came in. */
export class PasswordRejected extends Schema.TaggedError<PasswordRejected>()("PasswordRejected", {
  field: Schema.String,
  reason: Schema.String,
}) {
  override get message() {
    return this.reason
  }
}

/**
 * Whether a password has appeared in a known data breach. Never fails: an adapter that cannot tell
 * (a timeout, an error, the service down) answers false and logs a warning. Failing open is
 * deliberate: an outage elsewhere must not stop every registration, and the local rules still hold.
 */
export class BreachedPasswords extends Context.Tag("userkit/BreachedPasswords")<
  BreachedPasswords,
  { readonly isBreached: (password: Redacted.Redacted<string>) => Effect.Effect<boolean> }
>() {}

/** Whose password it is: the policy refuses a password that merely repeats who they are. */
export interface PasswordOwner {
  readonly email: string
  readonly username: string
}

// Case and Unicode form do not make a password another one: "Ada", "ADA" and "Ａｄａ" compare equal.
const folded = (s: string): string => s.normalize("NFKC").toLowerCase()

/**
 * The most used passwords, from @zxcvbn-ts/language-common (MIT, maintained): its "passwords-common"
 * dictionary, about 49,000 passwords seen more than ten times in Mark Burnett's ten million leaked
 * passwords, lower-cased, ranked by use, without those its pattern matchers already guess (`aaaa…`,
 * `abcd…`). A package, so it is updated like any dependency. It decompresses the list on import
 * (measured: 40-60 ms, 4 MB of heap kept): imported with the first policy built, not with the
 * domain, and then kept for the process.
 */
let commonPasswords: Promise<ReadonlySet<string>> | undefined
const loadCommonPasswords = Effect.promise(
  () =>
    (commonPasswords ??= import("@zxcvbn-ts/language-common").then(
      ({ dictionary }) => new Set(dictionary["passwords-common"].map(folded)),
    )),
)

/**
 * The rules a new password must pass, in this order, each refusal saying why: its length; not the
 * owner's email, the email's part before the @ (it often is the name people go by, and NIST lists
 * such derivatives), nor the username, ignoring case and Unicode form; not among the most used
 * passwords; and, when a `BreachedPasswords` is provided, not known from a breach. That one is
 * last: it is the only remote call, never made for a password the local rules already refuse.
 */
export class PasswordPolicy extends Context.Tag("userkit/PasswordPolicy")<
  PasswordPolicy,
  {
    readonly rules: PasswordRules
    readonly check: (
      password: Redacted.Redacted<string>,
      owner: PasswordOwner,
      field: string,
    ) => Effect.Effect<void, PasswordRejected>
  }
>() {
  /** The policy for `rules`, checking breaches if a `BreachedPasswords` is in context when it is built. */
  static readonly make = (
    rules: PasswordRules = DEFAULT_PASSWORD_RULES,
  ): Effect.Effect<Context.Tag.Service<PasswordPolicy>> =>
    Effect.gen(function* () {
      const common = yield* loadCommonPasswords
      const breaches = yield* Effect.serviceOption(BreachedPasswords)

      const check = Effect.fnUntraced(function* (
        password: Redacted.Redacted<string>,
        owner: PasswordOwner,
        field: string,
      ): Effect.fn.Return<void, PasswordRejected> {
        const refuse = (reason: string) => new PasswordRejected({ field, reason })
        const typed = Redacted.value(password).normalize("NFKC")
        const length = [...typed].length
        if (length < rules.minLength) return yield* refuse(`password must be at least ${rules.minLength} characters`)
        if (length > rules.maxLength) return yield* refuse(`password must be at most ${rules.maxLength} characters`)
        const candidate = typed.toLowerCase()
        if (candidate === folded(owner.email)) return yield* refuse("password must not be the same as the email")
        const at = owner.email.lastIndexOf("@")
        if (at > 0 && candidate === folded(owner.email.slice(0, at))) {
          return yield* refuse("password must not be the same as the part of the email before the @")
        }
        if (candidate === folded(owner.username)) return yield* refuse("password must not be the same as the username")
        if (common.has(candidate)) return yield* refuse("password is too common: it is among the most used passwords")
        if (Option.isSome(breaches) && (yield* breaches.value.isBreached(password))) {
          return yield* refuse("password has appeared in a known data breach")
        }
      }, traced("PasswordPolicy.check"))

      return { rules, check }
    })

  /** The policy as a layer; see `make`. */
  static readonly layer = (rules: PasswordRules = DEFAULT_PASSWORD_RULES): Layer.Layer<PasswordPolicy> =>
    Layer.effect(PasswordPolicy, PasswordPolicy.make(rules))
}
