import { HttpApiBuilder } from "@effect/platform"
import { Administration, type Client, type User, type UserId } from "@userkit/domain"
import { Effect, Layer } from "effect"
import { Api } from "../Api.js"
import { auditPage, pagingOf } from "../audit/Events.js"
import { sessionInfo } from "../auth/Login.js"
import { sessionIdOf } from "../auth/SessionIdPath.js"
import * as ClientAddress from "../edge/ClientAddress.js"
import { answerListing } from "../listing/Listing.js"
import { asProblems, type DomainError } from "../problems/DomainProblems.js"
import { CurrentUser } from "../security/Authentication.js"
import * as SuperuserAuthentication from "../security/SuperuserAuthentication.js"
import { userIdOf } from "../users/UserIdPath.js"

/** `useCase` run by the caller, from its client, on the user the path names; an unknown or malformed id is a 404. */
const onUser = <A, E extends DomainError>(
  id: string,
  useCase: (actor: User, id: UserId, client: Client) => Effect.Effect<A, E>,
) =>
  asProblems(
    Effect.flatMap(Effect.all([CurrentUser, userIdOf(id), ClientAddress.current]), ([actor, userId, client]) =>
      useCase(actor, userId, client),
    ),
  )

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
        asProblems(
          Effect.flatMap(Effect.all([CurrentUser, ClientAddress.current]), ([actor, client]) =>
            administration.create(actor, payload, client),
          ),
        ),
      )
      .handle("get", ({ path }) => onUser(path.id, (actor, id) => administration.get(actor, id)))
      .handle("update", ({ path, payload }) =>
        onUser(path.id, (actor, id, client) => administration.update(actor, id, payload, client)),
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
        onUser(path.id, (actor, id, client) =>
          Effect.flatMap(sessionIdOf(path.session), (sessionId) =>
            administration.revokeSession(actor, id, sessionId, client),
          ),
        ),
      )
      .handle("audit", ({ urlParams }) =>
        Effect.flatMap(CurrentUser, (actor) =>
          administration.audit(actor, {
            ...pagingOf(urlParams),
            userId: urlParams.user_id,
            types: urlParams.type,
            since: urlParams.since,
            until: urlParams.until,
          }),
        ).pipe(asProblems, Effect.map(auditPage)),
      )
  }),
).pipe(Layer.provide(SuperuserAuthentication.layer))
