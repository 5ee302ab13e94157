import { HttpApiBuilder } from "@effect/platform"
import { Administration } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { Api } from "../Api.js"
import { CurrentUser } from "../Authentication.js"
import { toProblem } from "../DomainProblems.js"
import { answerListing } from "../Listing.js"
import { SuperuserAuthenticationLive } from "../SuperuserAuthentication.js"
import { userIdOf } from "../UserIdPath.js"

// The middleware admitted a superuser already; each use case checks its actor again, as the domain requires.
export const AdminHandlers = HttpApiBuilder.group(Api, "admin", (handlers) =>
  Effect.gen(function* () {
    const administration = yield* Administration
    return handlers
      .handle("list", ({ urlParams }) =>
        Effect.flatMap(CurrentUser, (actor) =>
          answerListing("admin", urlParams, (request) => administration.list(actor, request)),
        ),
      )
      .handle("create", ({ payload }) =>
        Effect.flatMap(CurrentUser, (actor) => administration.create(actor, payload)).pipe(
          Effect.mapError((e) => toProblem(e)),
        ),
      )
      .handle("get", ({ path }) =>
        Effect.all([CurrentUser, userIdOf(path.id)]).pipe(
          Effect.flatMap(([actor, id]) => administration.get(actor, id)),
          Effect.mapError((e) => toProblem(e)),
        ),
      )
      .handle("update", ({ path, payload }) =>
        Effect.all([CurrentUser, userIdOf(path.id)]).pipe(
          Effect.flatMap(([actor, id]) => administration.update(actor, id, payload)),
          Effect.mapError((e) => toProblem(e)),
        ),
      )
      .handle("delete", ({ path }) =>
        Effect.all([CurrentUser, userIdOf(path.id)]).pipe(
          Effect.flatMap(([actor, id]) => administration.delete(actor, id)),
          Effect.mapError((e) => toProblem(e)),
        ),
      )
  }),
).pipe(Layer.provide(SuperuserAuthenticationLive))
