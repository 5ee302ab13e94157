import { HttpApiBuilder } from "@effect/platform"
import { Directory, OwnAccount, type ProfileChanges } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { Api } from "../Api.js"
import { ownEvents, pagingOf } from "../audit/Events.js"
import * as ClientAddress from "../edge/ClientAddress.js"
import { answerListing } from "../listing/Listing.js"
import { asProblems } from "../problems/DomainProblems.js"
import * as Authentication from "../security/Authentication.js"
import { userIdOf } from "./UserIdPath.js"

const { CurrentUser } = Authentication

export const layer = HttpApiBuilder.group(Api, "users", (handlers) =>
  Effect.gen(function* () {
    const own = yield* OwnAccount
    const directory = yield* Directory
    const updateProfile = (changes: ProfileChanges) =>
      asProblems(
        Effect.flatMap(Effect.all([CurrentUser, ClientAddress.current]), ([me, client]) =>
          own.updateProfile(me, changes, client),
        ),
      )
    return handlers
      .handle("updateMe", ({ payload }) => updateProfile(payload))
      .handle("replaceMe", ({ payload }) => updateProfile(payload))
      .handle("changePassword", ({ payload }) =>
        asProblems(
          Effect.flatMap(Effect.all([Authentication.CurrentCaller, ClientAddress.current]), ([caller, client]) =>
            own.changePassword(caller.user, payload, client, caller.sessionId),
          ),
        ),
      )
      .handle("deactivateMe", () =>
        asProblems(
          Effect.flatMap(Effect.all([CurrentUser, ClientAddress.current]), ([me, client]) =>
            own.deactivate(me, client),
          ),
        ),
      )
      .handle("myEvents", ({ urlParams }) =>
        Effect.map(
          Effect.flatMap(CurrentUser, (me) => own.events(me, pagingOf(urlParams))),
          ownEvents,
        ),
      )
      .handle("list", ({ urlParams }) => answerListing("directory", urlParams, directory.list))
      .handle("get", ({ path }) => asProblems(Effect.flatMap(userIdOf(path.id), directory.get)))
  }),
).pipe(Layer.provide(Authentication.layer))
