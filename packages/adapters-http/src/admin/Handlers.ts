import { HttpApiBuilder } from "@effect/platform"
import { Administration, type User, type UserId } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { Api } from "../Api.js"
import { sessionInfo } from "../auth/Login.js"
import { sessionIdOf } from "../auth/SessionIdPath.js"
import { answerListing } from "../listing/Listing.js"
import { asProblems, type DomainError } from "../problems/DomainProblems.js"
import { CurrentUser } from "../security/Authentication.js"
import * as SuperuserAuthentication from "../security/SuperuserAuthentication.js"
import { userIdOf } from "../users/UserIdPath.js"

/** `useCase` run by the caller on the user the path names; an unknown or malformed id is a 404. */
const onUser = <A, E extends DomainError>(id: string, useCase: (actor: User, id: UserId) => Effect.Effect<A, E>) =>
  asProblems(Effect.flatMap(Effect.all([CurrentUser, userIdOf(id)]), ([actor, userId]) => useCase(actor, userId)))

// The middleware admitted a superuser already; each use case checks its actor again, as the domain requires.
export const layer = HttpApiBuilder.group(Api, "admin", (handlers) =>
  Effect.gen(function* () {
    const administration = yield* Administration
    return handlers
      .handle("list", ({ urlParams }) =>
        Effect.flatMap(CurrentUser, (actor) =>
          answerListing("admin", urlParams, (request) => administration.list(actor, request)),
        ),
      )
      .handle("create", ({ payload }) =>
        asProblems(Effect.flatMap(CurrentUser, (actor) => administration.create(actor, payload))),
      )
      .handle("get", ({ path }) => onUser(path.id, administration.get))
      .handle("update", ({ path, payload }) =>
        onUser(path.id, (actor, id) => administration.update(actor, id, payload)),
      )
      .handle("delete", ({ path }) => onUser(path.id, administration.delete))
      .handle("sessions", ({ path }) =>
        onUser(path.id, (actor, id) =>
          Effect.map(administration.listSessions(actor, id), (all) =>
            all.map((session) => sessionInfo(session, false)),
          ),
        ),
      )
      .handle("revokeSession", ({ path }) =>
        onUser(path.id, (actor, id) =>
          Effect.flatMap(sessionIdOf(path.session), (sessionId) => administration.revokeSession(actor, id, sessionId)),
        ),
      )
  }),
).pipe(Layer.provide(SuperuserAuthentication.layer))
