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
} from "@userkit/domain"
import { Effect, Either, Layer, Option, Ref } from "effect"

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

/** The store after a write, or why the write is refused: the rules every adapter keeps. */
const guarded = (before: Users, after: Users): Either.Either<Users, LastActiveSuperuser> =>
  activeSuperusers(before) > 0 && activeSuperusers(after) === 0
    ? Either.left(new LastActiveSuperuser())
    : Either.right(after)

const byQuery = (query: UserQuery) => (a: User, b: User) => {
  const order = compareCodePoints(sortKeyOf(a, query.sort), sortKeyOf(b, query.sort)) || compareCodePoints(a.id, b.id)
  return query.descending ? -order : order
}

/** A UserRepository in a Ref: every check-and-write is one atomic `Ref.modify`. */
export const makeMemoryUserRepository = Effect.gen(function* () {
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
    findByLogin: (login) => findOne((s) => key(s.user.email) === key(login) || key(s.user.username) === key(login)),
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
    // Only the named fields change: the rest is taken from the record as it is now, not as the caller saw it.
    update: (id, { updatedAt, ...fields }) =>
      writeUser(id, (current, users) => {
        const user = new User({ ...current.user, ...fields, updated_at: updatedAt }, true)
        const next = { ...current, user }
        return Option.match(conflictWith(users, user), {
          onSome: (conflict) => Either.left<WriteError>(conflict),
          onNone: () =>
            Either.map(
              guarded(
                users,
                users.map((s) => (s === current ? next : s)),
              ),
              () => [user, Option.some(next)] as const,
            ),
        })
      }),
    setPasswordHash: (id, passwordHash) =>
      writeUser(id, (current) => Either.right([undefined, Option.some({ ...current, passwordHash })] as const)),
    replacePasswordHash: (id, expected, passwordHash) =>
      Ref.modify(store, (users): [boolean, Users] => {
        const current = users.find((s) => s.user.id === id && s.passwordHash === expected)
        if (current === undefined) return [false, users]
        return [true, users.map((s) => (s === current ? { ...s, passwordHash } : s))]
      }),
    delete: (id) =>
      writeUser(id, (current, users) =>
        Either.map(
          guarded(
            users,
            users.filter((s) => s !== current),
          ),
          () => [undefined, Option.none()] as const,
        ),
      ),
  })
})

export const MemoryUserRepository = {
  /** A new, empty store each time the layer is built. */
  layer: Layer.effect(UserRepository, makeMemoryUserRepository),
}
