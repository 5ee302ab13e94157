import {
  compareCodePoints,
  comparePosition,
  EmailAlreadyRegistered,
  LastActiveSuperuser,
  type StoredUser,
  searchMatches,
  sortKeyOf,
  User,
  type UserId,
  UserNotFound,
  UsernameTaken,
  type UserQuery,
  UserRepository,
  type UserUpdate,
} from "@userkit/domain"
import { type DateTime, Effect, Either, Layer, Option, Ref } from "effect"

// Emails and usernames are ASCII by their schemas, so this agrees with SQL lower().
const key = (s: string) => s.toLowerCase()

type Users = ReadonlyArray<StoredUser>
type WriteError = EmailAlreadyRegistered | UsernameTaken | UserNotFound | LastActiveSuperuser

const conflictWith = (users: Users, user: User): Option.Option<EmailAlreadyRegistered | UsernameTaken> => {
  const others = users.filter((s) => s.user.id !== user.id)
  if (others.some((s) => key(s.user.email) === key(user.email))) return Option.some(new EmailAlreadyRegistered())
  if (others.some((s) => key(s.user.username) === key(user.username))) return Option.some(new UsernameTaken())
  return Option.none()
}

const activeSuperusers = (users: Users) => users.filter((s) => s.user.is_superuser && s.user.is_active).length

/** Why a write that had the store go from `before` to `after` is refused, if it loses the last active superuser. */
const losesLastSuperuser = (before: Users, after: Users): Option.Option<LastActiveSuperuser> =>
  activeSuperusers(before) > 0 && activeSuperusers(after) === 0 ? Option.some(new LastActiveSuperuser()) : Option.none()

/**
 * When the email is verified after a change, by the port's rule: a change to another address (not
 * the same one in another case) leaves it unverified, unless the change names `email_verified`;
 * `true` keeps the time of an address verified that stays the same, else stamps the change.
 */
const verifiedAtAfter = (user: User, { email, email_verified, updatedAt }: UserUpdate): DateTime.Utc | null => {
  const sameAddress = email === undefined || key(email) === key(user.email)
  if (email_verified === false) return null
  if (email_verified === true)
    return sameAddress && user.email_verified_at !== null ? user.email_verified_at : updatedAt
  return sameAddress ? user.email_verified_at : null
}

/** The user after a change of the named fields, the rest as it is. */
const changedUser = (user: User, changes: UserUpdate): User => {
  const { updatedAt, email_verified: _, ...fields } = changes
  const verifiedAt = verifiedAtAfter(user, changes)
  return new User(
    { ...user, ...fields, email_verified: verifiedAt !== null, email_verified_at: verifiedAt, updated_at: updatedAt },
    true,
  )
}

const byQuery = (query: UserQuery) => (a: User, b: User) => {
  const order = compareCodePoints(sortKeyOf(a, query.sort), sortKeyOf(b, query.sort)) || compareCodePoints(a.id, b.id)
  return query.descending ? -order : order
}

/** A UserRepository in a Ref: every check-and-write is one atomic `Ref.modify`. */
export const make = Effect.gen(function* () {
  const store = yield* Ref.make<Users>([])

  /** Applies `change` atomically: its answer and the new store, or the error and the store untouched. */
  const write = <A, E extends WriteError>(change: (users: Users) => Either.Either<readonly [A, Users], E>) =>
    Effect.flatten(
      Ref.modify(store, (users): [Effect.Effect<A, E>, Users] =>
        Either.match(change(users), {
          onLeft: (error) => [Effect.fail(error), users],
          onRight: ([answer, next]) => [Effect.succeed(answer), next],
        }),
      ),
    )

  /** A write of the user with this id: `replace` gives its new record, or none to remove it. */
  const writeUser = <A, E extends WriteError>(
    id: UserId,
    replace: (current: StoredUser, users: Users) => Either.Either<readonly [A, Option.Option<StoredUser>], E>,
  ) =>
    write((users): Either.Either<readonly [A, Users], E | UserNotFound> => {
      const current = users.find((s) => s.user.id === id)
      if (current === undefined) return Either.left(new UserNotFound())
      return Either.map(replace(current, users), ([answer, next]) => [
        answer,
        Option.match(next, {
          onNone: () => users.filter((s) => s !== current),
          onSome: (record) => users.map((s) => (s === current ? record : s)),
        }),
      ])
    })

  /**
   * A change of the named fields of one user, the rest as the store has it now, unless `refuse`
   * finds a rule it breaks (given the store before, the changed user, and the store after).
   */
  const updateWith =
    <E extends WriteError>(refuse: (users: Users, user: User, after: Users) => Option.Option<E>) =>
    (id: UserId, changes: UserUpdate) =>
      writeUser(id, (current, users) => {
        const next = { ...current, user: changedUser(current.user, changes) }
        return Option.match(
          refuse(
            users,
            next.user,
            users.map((s) => (s === current ? next : s)),
          ),
          {
            onSome: Either.left,
            onNone: () => Either.right([next.user, Option.some(next)] as const),
          },
        )
      })

  const findOne = (predicate: (s: StoredUser) => boolean) =>
    Effect.map(Ref.get(store), (users) => Option.fromNullable(users.find(predicate)))

  return UserRepository.of({
    insert: (stored) =>
      Effect.flatMap(Ref.get(store), (users) =>
        users.some((s) => s.user.id === stored.user.id)
          ? Effect.die(`user id ${stored.user.id} already exists`)
          : Effect.void,
      ).pipe(
        Effect.zipRight(
          write((users) =>
            Option.match(conflictWith(users, stored.user), {
              onNone: () => Either.right([undefined, [...users, stored]] as const),
              onSome: Either.left,
            }),
          ),
        ),
      ),
    findById: (id) => findOne((s) => s.user.id === id),
    // The login comes normalized (lower-cased): the stored values are lower-cased to meet it.
    findByLogin: (login) => findOne((s) => key(s.user.email) === login || key(s.user.username) === login),
    search: (query) =>
      Effect.map(Ref.get(store), (users) => {
        const matching = users
          .map((s) => s.user)
          .filter(
            (u) =>
              Option.match(query.search, { onNone: () => true, onSome: (s) => searchMatches(u, s, query.searchIn) }) &&
              Option.match(query.isActive, { onNone: () => true, onSome: (a) => u.is_active === a }) &&
              Option.match(query.isSuperuser, { onNone: () => true, onSome: (a) => u.is_superuser === a }),
          )
          .sort(byQuery(query))
        const afterCursor = Option.match(query.after, {
          onNone: () => matching,
          onSome: (position) =>
            matching.filter((u) => {
              const where = comparePosition(u, position, query.sort)
              return query.descending ? where < 0 : where > 0
            }),
        })
        return {
          items: afterCursor.slice(query.offset, query.offset + query.limit),
          total: Math.min(matching.length, query.countUpTo),
          totalIsExact: matching.length <= query.countUpTo,
        }
      }),
    updateProfile: updateWith((users, user) => conflictWith(users, user)),
    setStanding: updateWith((users, _, after) => losesLastSuperuser(users, after)),
    update: updateWith((users, user, after) =>
      Option.orElse(conflictWith(users, user), () => losesLastSuperuser(users, after)),
    ),
    setPasswordHash: (id, passwordHash) =>
      writeUser(id, (current) => Either.right([undefined, Option.some({ ...current, passwordHash })] as const)),
    replacePasswordHash: (id, expected, passwordHash) =>
      Ref.modify(store, (users): [boolean, Users] => {
        const current = users.find((s) => s.user.id === id && s.passwordHash === expected)
        if (current === undefined) return [false, users]
        return [true, users.map((s) => (s === current ? { ...s, passwordHash } : s))]
      }),
    markEmailVerified: (id, email, at) =>
      Ref.modify(store, (users): [boolean, Users] => {
        const current = users.find((s) => s.user.id === id && key(s.user.email) === key(email))
        if (current === undefined) return [false, users]
        if (current.user.email_verified) return [true, users]
        const user = new User({ ...current.user, email_verified: true, email_verified_at: at }, true)
        return [true, users.map((s) => (s === current ? { ...s, user } : s))]
      }),
    delete: (id) =>
      writeUser(id, (current, users) =>
        Option.match(
          losesLastSuperuser(
            users,
            users.filter((s) => s !== current),
          ),
          { onSome: Either.left, onNone: () => Either.right([undefined, Option.none()] as const) },
        ),
      ),
  })
})

/** A new, empty store each time the layer is built. */
export const layer: Layer.Layer<UserRepository> = Layer.effect(UserRepository, make)
