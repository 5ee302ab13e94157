import { Effect, Option, Schema } from "effect"
import { traced } from "../Traced.js"
import { UserNotFound } from "./errors.js"
import { type ListingPage, type ListingRequest, listUsers, type PageTooDeep } from "./Listing.js"
import { PublicProfile, type UserId } from "./User.js"
import { UserRepository } from "./UserRepository.js"

/** The directory does not show this field, so no one may sort or filter by it there: the order would reveal it. */
export class HiddenField extends Schema.TaggedError<HiddenField>()("HiddenField", {
  field: Schema.Literal("email", "is_active", "is_superuser"),
  use: Schema.Literal("sort", "filter"),
}) {
  override get message() {
    return `the directory does not show ${this.field}, so it cannot ${this.use} by it`
  }
}

/** What the directory shows is all it sorts and filters by: no email, no account flags. */
const visibleOnly = (request: ListingRequest): Effect.Effect<void, HiddenField> => {
  if (request.sort === "email") return Effect.fail(new HiddenField({ field: "email", use: "sort" }))
  if (Option.isSome(request.isActive)) return Effect.fail(new HiddenField({ field: "is_active", use: "filter" }))
  if (Option.isSome(request.isSuperuser)) return Effect.fail(new HiddenField({ field: "is_superuser", use: "filter" }))
  return Effect.void
}

/** The directory any signed-in user may browse: active accounts, public profiles, no emails. */
export class Directory extends Effect.Service<Directory>()("userkit/Directory", {
  effect: Effect.gen(function* () {
    const users = yield* UserRepository

    const list = Effect.fnUntraced(function* (
      request: ListingRequest,
    ): Effect.fn.Return<ListingPage<PublicProfile>, HiddenField | PageTooDeep> {
      yield* visibleOnly(request)
      const page = yield* listUsers(users, request, { searchIn: ["username", "full_name"], onlyActive: true })
      return { ...page, items: page.items.map(PublicProfile.fromUser) }
    }, traced("Directory.list"))

    const get = Effect.fnUntraced(function* (id: UserId): Effect.fn.Return<PublicProfile, UserNotFound> {
      const found = yield* users.findById(id)
      if (Option.isNone(found) || !found.value.user.is_active) return yield* new UserNotFound()
      return PublicProfile.fromUser(found.value.user)
    }, traced("Directory.get"))

    return { list, get } as const
  }),
}) {}
