import { HttpApiBuilder } from "@effect/platform"
import { Directory, OwnAccount, type ProfileChanges } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { Api } from "../Api.js"
import { AuthenticationLive, CurrentUser } from "../Authentication.js"
import { toProblem } from "../DomainProblems.js"
import { answerListing } from "../Listing.js"
import { userIdOf } from "../UserIdPath.js"

export const UsersHandlers = HttpApiBuilder.group(Api, "users", (handlers) =>
  Effect.gen(function* () {
    const own = yield* OwnAccount
    const directory = yield* Directory
    const updateProfile = (changes: ProfileChanges) =>
      Effect.flatMap(CurrentUser, (me) => own.updateProfile(me, changes)).pipe(Effect.mapError((e) => toProblem(e)))
    return handlers
      .handle("updateMe", ({ payload }) => updateProfile(payload))
      .handle("replaceMe", ({ payload }) => updateProfile(payload))
      .handle("changePassword", ({ payload }) =>
        Effect.flatMap(CurrentUser, (me) => own.changePassword(me, payload)).pipe(Effect.mapError((e) => toProblem(e))),
      )
      .handle("deactivateMe", () =>
        Effect.flatMap(CurrentUser, (me) => own.deactivate(me)).pipe(Effect.mapError((e) => toProblem(e))),
      )
      .handle("list", ({ urlParams }) => answerListing("directory", urlParams, directory.list))
      .handle("get", ({ path }) =>
        userIdOf(path.id).pipe(
          Effect.flatMap(directory.get),
          Effect.mapError((e) => toProblem(e)),
        ),
      )
  }),
).pipe(Layer.provide(AuthenticationLive))
