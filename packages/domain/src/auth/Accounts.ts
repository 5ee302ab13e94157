import { DateTime, Effect, Option, Redacted, Schema } from "effect"
import type { EmailAlreadyRegistered, LastActiveSuperuser, UsernameTaken } from "../users/errors.js"
import { UserNotFound } from "../users/errors.js"
import { AvatarUrl, Bio, Email, FullName, generateUserId, normalizeLogin, User, Username } from "../users/User.js"
import { type ProfileFields, type UserChanges, UserRepository } from "../users/UserRepository.js"
import { AccessTokens } from "./AccessTokens.js"
import { InactiveUser, InvalidCredentials, InvalidToken, WrongPassword } from "./errors.js"
import { Password } from "./Password.js"
import { PasswordHasher } from "./PasswordHasher.js"

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

/** A login: `username` is the account's email or username (the OAuth2 password form's names). */
export const Credentials = Schema.Struct({
  username: Schema.String.pipe(Schema.maxLength(254, { message: () => "username must be at most 254 characters" })),
  password: Schema.Redacted(
    Schema.String.pipe(Schema.maxLength(1024, { message: () => "password must be at most 1024 characters" })),
  ),
}).annotations({ identifier: "Credentials" })
export type Credentials = typeof Credentials.Type

/** What a user may change of their own profile; privileges and unknown fields are refused. */
export const ProfileChanges = Schema.Struct({
  email: Schema.optionalWith(Email, { exact: true }),
  username: Schema.optionalWith(Username, { exact: true }),
  full_name: Schema.optionalWith(Schema.NullOr(FullName), { exact: true }),
  bio: Schema.optionalWith(Schema.NullOr(Bio), { exact: true }),
  avatar_url: Schema.optionalWith(Schema.NullOr(AvatarUrl), { exact: true }),
}).annotations({ identifier: "ProfileChanges", parseOptions: { onExcessProperty: "error" } })
export type ProfileChanges = typeof ProfileChanges.Type

export const PasswordChange = Schema.Struct({
  current_password: Credentials.fields.password,
  new_password: Password,
}).annotations({ identifier: "PasswordChange", parseOptions: { onExcessProperty: "error" } })
export type PasswordChange = typeof PasswordChange.Type

/** A write of exactly these fields, stamped with the clock's time. */
export const changesOf = (fields: Omit<UserChanges, "updatedAt">): Effect.Effect<UserChanges> =>
  Effect.map(DateTime.now, (updatedAt) => ({ ...fields, updatedAt }))

export interface Session {
  readonly user: User
  readonly accessToken: Redacted.Redacted<string>
  readonly expiresIn: number
}

// Verified against when the login names no account, so that answer costs what a wrong password does.
const dummyPassword = Redacted.make("userkit: no such account, still do the work")

export class Accounts extends Effect.Service<Accounts>()("userkit/Accounts", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository
    const hasher = yield* PasswordHasher
    const tokens = yield* AccessTokens
    const dummyHash = yield* hasher.hash(dummyPassword)

    const register = Effect.fn("Accounts.register")(function* (
      input: Registration,
    ): Effect.fn.Return<User, EmailAlreadyRegistered | UsernameTaken> {
      const now = yield* DateTime.now
      const user = new User({
        id: yield* generateUserId,
        email: input.email,
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
      yield* users.insert({ user, passwordHash })
      return user
    })

    const login = Effect.fn("Accounts.login")(function* (
      credentials: Credentials,
    ): Effect.fn.Return<Session, InvalidCredentials | InactiveUser> {
      const found = yield* users.findByLogin(normalizeLogin(credentials.username))
      const passwordMatches = yield* hasher.verify(
        credentials.password,
        Option.match(found, { onNone: () => dummyHash, onSome: (stored) => stored.passwordHash }),
      )
      if (Option.isNone(found) || !passwordMatches) return yield* new InvalidCredentials()
      const { user, passwordHash } = found.value
      if (!user.is_active) return yield* new InactiveUser()
      // A hash from before a cost change is remade while the password is at hand. Compare-and-set:
      // if the password changed meanwhile, the new one stands and this rehash is dropped.
      if (hasher.needsRehash(passwordHash)) {
        yield* users.replacePasswordHash(user.id, passwordHash, yield* hasher.hash(credentials.password))
      }
      const issued = yield* tokens.issue(user.id)
      return { user, accessToken: issued.token, expiresIn: issued.expiresIn }
    })

    /** The user a bearer token speaks for; a deleted or deactivated account is refused. */
    const currentUser = Effect.fn("Accounts.currentUser")(function* (
      token: Redacted.Redacted<string>,
    ): Effect.fn.Return<User, InvalidToken | InactiveUser> {
      const userId = yield* tokens.verify(token)
      const found = yield* users.findById(userId)
      if (Option.isNone(found)) return yield* new InvalidToken()
      if (!found.value.user.is_active) return yield* new InactiveUser()
      return found.value.user
    })

    /**
     * The caller's own profile, changed; a new email or username must be free. Only the profile
     * fields sent are written, never a flag: an administrator's concurrent change stands.
     */
    const updateProfile = Effect.fn("Accounts.updateProfile")(function* (
      actor: User,
      changes: ProfileChanges,
    ): Effect.fn.Return<User, EmailAlreadyRegistered | UsernameTaken | UserNotFound> {
      const profile: Partial<ProfileFields> = changes
      // Profile fields alone never touch a superuser's standing.
      return yield* users
        .update(actor.id, yield* changesOf(profile))
        .pipe(Effect.catchTag("LastActiveSuperuser", Effect.die))
    })

    /**
     * A new password, authorized by the current one (the same answer whatever is wrong with it).
     * Stored only if the hash is still the one verified: of two changes racing with the same
     * current password, one wins and the other is told its current password is wrong.
     */
    const changePassword = Effect.fn("Accounts.changePassword")(function* (
      actor: User,
      change: PasswordChange,
    ): Effect.fn.Return<void, WrongPassword | UserNotFound> {
      const stored = yield* users.findById(actor.id)
      if (Option.isNone(stored)) return yield* new UserNotFound()
      const current = stored.value.passwordHash
      if (!(yield* hasher.verify(change.current_password, current))) return yield* new WrongPassword()
      const replaced = yield* users.replacePasswordHash(actor.id, current, yield* hasher.hash(change.new_password))
      if (!replaced) return yield* new WrongPassword()
    })

    /** The caller's own account, deactivated: it can no longer log in, and its tokens stop working. */
    const deactivate = Effect.fn("Accounts.deactivate")(function* (
      actor: User,
    ): Effect.fn.Return<void, LastActiveSuperuser | UserNotFound> {
      yield* users
        .update(actor.id, yield* changesOf({ is_active: false }))
        .pipe(Effect.catchTags({ EmailAlreadyRegistered: Effect.die, UsernameTaken: Effect.die }))
    })

    return { register, login, currentUser, updateProfile, changePassword, deactivate } as const
  }),
}) {}
