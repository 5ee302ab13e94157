import { DateTime, Effect, Option, Redacted, Schema } from "effect"
import { AuditTrail } from "../audit/AuditTrail.js"
import type { RateLimited } from "../limits/errors.js"
import { Limits } from "../limits/Limits.js"
import { MailDelivery } from "../mail/MailDelivery.js"
import { EmailVerification } from "../recovery/EmailVerification.js"
import { EmailNotVerified } from "../recovery/errors.js"
import { CurrentRecoveryRules } from "../recovery/RecoveryRules.js"
import { type Caller, Sessions, type SignedIn } from "../sessions/Sessions.js"
import { traced } from "../Traced.js"
import { Transactions } from "../Transactions.js"
import type { EmailAlreadyRegistered, UsernameTaken } from "../users/errors.js"
import { AvatarUrl, Bio, Email, FullName, generateUserId, normalizeLogin, User, Username } from "../users/User.js"
import { UserRepository } from "../users/UserRepository.js"
import type { Client } from "./Client.js"
import { InactiveUser, InvalidCredentials } from "./errors.js"
import { Password } from "./Password.js"
import { PasswordHasher } from "./PasswordHasher.js"
import { PasswordPolicy, type PasswordRejected } from "./PasswordPolicy.js"

/** What a newcomer sends to open an account. Unknown fields are refused, not ignored. */
export const Registration = Schema.Struct({
  email: Email,
  username: Username,
  password: Password,
  full_name: Schema.optionalWith(Schema.NullOr(FullName), { default: () => null }),
  bio: Schema.optionalWith(Schema.NullOr(Bio), { default: () => null }),
  avatar_url: Schema.optionalWith(Schema.NullOr(AvatarUrl), { default: () => null }),
}).annotations({ identifier: "Registration", parseOptions: { onExcessProperty: "error" } })
export type Registration = typeof Registration.Type

/**
 * A password as typed to prove who one is: not checked against the policy (an old password may
 * predate it), only bounded, so a megabyte is not hashed.
 */
export const PresentedPassword = Schema.Redacted(
  Schema.String.pipe(Schema.maxLength(1024, { message: () => "password must be at most 1024 characters" })),
)

/** A login attempt: the account's email or username, and its password. */
export const Credentials = Schema.Struct({
  login: Schema.String.pipe(Schema.maxLength(254, { message: () => "login must be at most 254 characters" })),
  password: PresentedPassword,
}).annotations({ identifier: "Credentials" })
export type Credentials = typeof Credentials.Type

// Verified against when the login names no account, so that answer costs what a wrong password does.
const dummyPassword = Redacted.make("userkit: no such account, still do the work")

export class Accounts extends Effect.Service<Accounts>()("userkit/Accounts", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const sessions = yield* Sessions
    const limits = yield* Limits
    const policy = yield* PasswordPolicy
    const audit = yield* AuditTrail
    const tx = yield* Transactions
    const verification = yield* EmailVerification
    const mail = yield* MailDelivery
    const { requireVerifiedEmail } = yield* CurrentRecoveryRules
    const dummyHash = yield* hasher.hash(dummyPassword)

    const register = Effect.fnUntraced(function* (
      input: Registration,
      client: Client,
    ): Effect.fn.Return<User, EmailAlreadyRegistered | UsernameTaken | PasswordRejected | RateLimited> {
      yield* limits.fromAddress("register", client)
      yield* policy.check(input.password, input, "password")
      const now = yield* DateTime.now
      const user = new User({
        id: yield* generateUserId,
        email: input.email,
        email_verified: false,
        email_verified_at: null,
        username: input.username,
        full_name: input.full_name,
        bio: input.bio,
        avatar_url: input.avatar_url,
        is_active: true,
        is_superuser: false,
        created_at: now,
        updated_at: now,
      })
      const passwordHash = yield* hasher.hash(input.password)
      const messages = yield* tx.atomically(
        Effect.gen(function* () {
          yield* users.insert({ user, passwordHash })
          yield* audit.record("registered", { actor: user.id, target: user.id, client })
          return yield* verification.linkFor(user, client, user.id)
        }),
      )
      yield* mail.dispatch(...messages)
      return user
    }, traced("Accounts.register"))

    /**
     * A session for the account `credentials` name, if its password is right. Every way it can go
     * wrong before the password is known right costs one verification and answers alike: an
     * unknown login, a wrong password, and a login whose guesses must wait (a 429, the same for an
     * account that exists and one that does not).
     */
    const login = Effect.fnUntraced(function* (
      credentials: Credentials,
      client: Client,
    ): Effect.fn.Return<SignedIn, InvalidCredentials | InactiveUser | EmailNotVerified | RateLimited> {
      yield* limits.fromAddress("login", client)
      const subject = normalizeLogin(credentials.login)
      const found = yield* users.findByLogin(subject)
      const owner = Option.map(found, (stored) => stored.user.id)
      const claim = yield* Effect.either(limits.claimGuess(subject, owner, client))
      const admitted = Option.filter(found, () => claim._tag === "Right")
      const passwordMatches = yield* hasher.verify(
        credentials.password,
        Option.match(admitted, { onNone: () => dummyHash, onSome: (stored) => stored.passwordHash }),
      )
      if (claim._tag === "Left") return yield* claim.left
      if (Option.isNone(admitted) || !passwordMatches) {
        const target = Option.getOrNull(owner)
        yield* audit.record("login_failed", {
          target,
          client,
          detail: target === null ? "unknown login" : "wrong password",
        })
        return yield* new InvalidCredentials()
      }
      const { user, passwordHash } = admitted.value
      yield* limits.guessed(subject, user.id, client)
      if (!user.is_active) {
        yield* audit.record("login_failed", { target: user.id, client, detail: "inactive account" })
        return yield* new InactiveUser()
      }
      if (requireVerifiedEmail && !user.email_verified) {
        yield* audit.record("login_failed", { target: user.id, client, detail: "email not verified" })
        // The password was right, so whoever this is may have a new link: mailed to the address (not
        // answered), as often as the account's verification requests allow; a refusal changes nothing.
        yield* Effect.ignore(verification.request(user, client))
        return yield* new EmailNotVerified()
      }
      // A hash from before a cost change is remade while the password is at hand. Compare-and-set:
      // if the password changed meanwhile, the new one stands and this rehash is dropped.
      let verified = passwordHash
      if (hasher.needsRehash(passwordHash)) {
        const rehashed = yield* hasher.hash(credentials.password)
        if (yield* users.replacePasswordHash(user.id, passwordHash, rehashed)) verified = rehashed
      }
      return yield* sessions.open(user, client, verified)
    }, traced("Accounts.login"))

    /** The user a bearer token speaks for; a deleted or deactivated account, or an ended session, is refused. */
    const currentUser = (token: Redacted.Redacted<string>) =>
      Effect.map(sessions.authenticate(token), (caller: Caller) => caller.user)

    return { register, login, currentUser } as const
  }),
}) {}
