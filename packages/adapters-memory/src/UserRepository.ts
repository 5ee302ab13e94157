import { EmailAlreadyRegistered, type StoredUser, UsernameTaken, UserRepository } from "@userkit/domain"
import { Array as Arr, Effect, Layer, Option, Order, Ref } from "effect"

const byCreationThenId: Order.Order<StoredUser> = Order.combine(
  Order.mapInput(Order.number, (s: StoredUser) => s.user.created_at.epochMillis),
  Order.mapInput(Order.string, (s: StoredUser) => s.user.id),
)

// ASCII-only fields (emails and usernames are ASCII by their schemas), so this agrees with SQL lower().
const key = (s: string) => s.toLowerCase()

/** A UserRepository in a Ref: every check-and-insert is one atomic `Ref.modify`. */
export const makeMemoryUserRepository = Effect.gen(function* () {
  const store = yield* Ref.make<ReadonlyArray<StoredUser>>([])

  const insert = (stored: StoredUser) =>
    Ref.modify(
      store,
      (users): [Option.Option<EmailAlreadyRegistered | UsernameTaken | "duplicate id">, ReadonlyArray<StoredUser>] => {
        if (users.some((s) => s.user.id === stored.user.id)) return [Option.some("duplicate id"), users]
        if (users.some((s) => key(s.user.email) === key(stored.user.email)))
          return [Option.some(new EmailAlreadyRegistered()), users]
        if (users.some((s) => key(s.user.username) === key(stored.user.username)))
          return [Option.some(new UsernameTaken()), users]
        return [Option.none(), [...users, stored]]
      },
    ).pipe(
      Effect.flatMap(
        Option.match({
          onNone: () => Effect.void,
          onSome: (problem) =>
            problem === "duplicate id" ? Effect.die(`user id ${stored.user.id} already exists`) : Effect.fail(problem),
        }),
      ),
    )

  const findOne = (predicate: (s: StoredUser) => boolean) =>
    Effect.map(Ref.get(store), (users) => Arr.findFirst(users, predicate))

  return UserRepository.of({
    insert,
    findById: (id) => findOne((s) => s.user.id === id),
    findByLogin: (login) => findOne((s) => key(s.user.email) === key(login) || key(s.user.username) === key(login)),
    list: ({ offset, limit }) =>
      Effect.map(Ref.get(store), (users) =>
        Arr.sort(users, byCreationThenId)
          .slice(offset, offset + limit)
          .map((s) => s.user),
      ),
  })
})

export const MemoryUserRepository = {
  /** A new, empty store each time the layer is built. */
  layer: Layer.effect(UserRepository, makeMemoryUserRepository),
}
