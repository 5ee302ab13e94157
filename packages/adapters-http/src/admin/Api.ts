import { HttpApiEndpoint, HttpApiSchema } from "@effect/platform"
import { AccountChanges, NewAccount, User } from "@userkit/domain"
import { Schema } from "effect"
import { AuditPageView, AuditQuery } from "../audit/Events.js"
import { SessionInfo } from "../auth/Login.js"
import { SessionIdPath } from "../auth/SessionIdPath.js"
import { group } from "../edge/RouteNote.js"
import { AdminQuery, DirectoryPage } from "../listing/Listing.js"
import { documented } from "../openapi/Documented.js"
import * as Examples from "../openapi/Examples.js"
import { reportingAllErrors } from "../problems/InvalidPayload.js"
import { BodyProblems, Conflict, NotFound, UnprocessableContent } from "../problems/Problem.js"
import { SuperuserAuthentication } from "../security/SuperuserAuthentication.js"
import { UserIdPath } from "../users/UserIdPath.js"

const UserPage = DirectoryPage(User).annotations({ identifier: "UserPage" })

const list = HttpApiEndpoint.get("list", "/users")
  .setUrlParams(AdminQuery)
  .addSuccess(UserPage)
  .addError(UnprocessableContent)
  .annotateContext(
    documented({
      summary: "List every account",
      description:
        "Every user, inactive ones included, with email and flags. The directory's paging and cursors (a cursor " +
        "from one listing is refused by the other); `sort` by email too, `search` also matches emails, and " +
        "`is_active` and `is_superuser` filter.",
      parameters: Examples.directoryParameters,
      responses: { 200: Examples.aUserPage },
    }),
  )

const create = HttpApiEndpoint.post("create", "/users")
  .setPayload(reportingAllErrors(NewAccount))
  .addSuccess(User, { status: 201 })
  .addError(Conflict)
  .addError(BodyProblems)
  .annotateContext(
    documented({
      summary: "Open an account for someone",
      description: "Creates a user, active unless `is_active` is false, a superuser if `is_superuser` is true.",
      request: Examples.aNewAccount,
      responses: { 201: Examples.aUser, 409: Examples.emailTaken },
    }),
  )

const get = HttpApiEndpoint.get("get", "/users/:id")
  .setPath(UserIdPath)
  .addSuccess(User)
  .addError(NotFound)
  .annotateContext(
    documented({
      summary: "One account",
      description: "Any user, active or not, with email and flags. An unknown or malformed id gets a 404.",
      parameters: Examples.idParameter,
      responses: { 200: Examples.aUser, 404: Examples.userNotFound },
    }),
  )

const update = HttpApiEndpoint.patch("update", "/users/:id")
  .setPath(UserIdPath)
  .setPayload(reportingAllErrors(AccountChanges))
  .addSuccess(User)
  .addError(NotFound)
  .addError(Conflict)
  .addError(BodyProblems)
  .annotateContext(
    documented({
      summary: "Change an account",
      description:
        "Changes profile fields, activates or deactivates (`is_active`), promotes or demotes (`is_superuser`), " +
        "or sets a new `password`. A change that would leave no active superuser gets a 409.",
      parameters: Examples.idParameter,
      request: Examples.someAccountChanges,
      responses: { 200: Examples.aUser, 404: Examples.userNotFound, 409: Examples.lastSuperuser },
    }),
  )

const remove = HttpApiEndpoint.del("delete", "/users/:id")
  .setPath(UserIdPath)
  .addSuccess(HttpApiSchema.NoContent)
  .addError(NotFound)
  .addError(Conflict)
  .annotateContext(
    documented({
      summary: "Delete an account",
      description:
        "Removes the user for good (to keep it, deactivate it instead). Not the last active superuser (409).",
      parameters: Examples.idParameter,
      responses: { 404: Examples.userNotFound, 409: Examples.lastSuperuser },
    }),
  )

/** Superusers only: anyone else gets a 403 before anything they sent is read. */
const sessions = HttpApiEndpoint.get("sessions", "/users/:id/sessions")
  .setPath(UserIdPath)
  .addSuccess(Schema.Array(SessionInfo))
  .addError(NotFound)
  .annotateContext(
    documented({
      summary: "An account's sessions",
      description: "Its live sessions, most recently used first (`current` is always false here).",
      parameters: Examples.idParameter,
      responses: {
        200: Examples.someSessions.map((session) => ({ ...session, current: false })),
        404: Examples.userNotFound,
      },
    }),
  )

const revokeSession = HttpApiEndpoint.del("revokeSession", "/users/:id/sessions/:session")
  .setPath(Schema.Struct({ ...UserIdPath.fields, session: SessionIdPath.fields.id }))
  .addSuccess(HttpApiSchema.NoContent)
  .addError(NotFound)
  .annotateContext(
    documented({
      summary: "End one of an account's sessions",
      description: "Ends the session, its refresh token and its access tokens. An unknown session is a 404.",
      parameters: { ...Examples.idParameter, session: Examples.sessionIdParameter.id },
      responses: { 404: Examples.sessionNotFound },
    }),
  )

const audit = HttpApiEndpoint.get("audit", "/audit")
  .setUrlParams(AuditQuery)
  .addSuccess(AuditPageView)
  .addError(UnprocessableContent)
  .annotateContext(
    documented({
      summary: "The audit trail",
      description:
        "Security events of every account, deleted ones too, newest first: filter by account (`user_id`, the " +
        "account acted on), by `type` (one or more, comma-separated), by time (`since` inclusive, `until` " +
        "exclusive, ISO 8601). `limit` (1-100, 50 by default) per page; pass `next_cursor` as `cursor` for the " +
        "next one. `detail` says why a login failed or which limit refused; never a password, token or hash.",
      responses: { 200: Examples.anAuditPage },
    }),
  )

export class AdminApi extends group(
  "admin",
  {
    prefix: "/api/v1/admin",
    title: "Administration",
    description: "Superusers only: every account, inactive ones too; create, change, delete",
  },
  (group) =>
    group
      .add(list)
      .add(create)
      .add(get)
      .add(update)
      .add(remove)
      .add(sessions)
      .add(revokeSession)
      .add(audit)
      .middleware(SuperuserAuthentication),
) {}
