import { HttpApiEndpoint, HttpApiSchema } from "@effect/platform"
import { PasswordChange, ProfileChanges, PublicProfile, User } from "@userkit/domain"
import { OwnEventsPage, OwnEventsQuery } from "../audit/Events.js"
import { group } from "../edge/RouteNote.js"
import { DirectoryPage, DirectoryQuery } from "../listing/Listing.js"
import { documented } from "../openapi/Documented.js"
import * as Examples from "../openapi/Examples.js"
import { reportingAllErrors } from "../problems/InvalidPayload.js"
import { BodyProblems, Conflict, NotFound, TooManyRequests, UnprocessableContent } from "../problems/Problem.js"
import { Authentication } from "../security/Authentication.js"
import { UserIdPath } from "./UserIdPath.js"

const PublicProfilePage = DirectoryPage(PublicProfile).annotations({ identifier: "PublicProfilePage" })

const profileDescription =
  "Changes the caller's email, username, full name, bio or avatar; fields left out are kept. Account flags " +
  "(`is_active`, `is_superuser`), `id`, `password`, timestamps and unknown fields are refused with a 422 " +
  "naming them, and nothing is changed. A new email or username must be free (409). A new email needs " +
  "`current_password`, the account's password (422 `current_password_required` without it, 400 " +
  "`wrong_password` when wrong, counted as a failed login): a stolen access token cannot move the account. A new email " +
  "is unverified until the link mailed to it is followed, the old address is told of the change, " +
  "and email changes are limited per client address and per account (429)."

const profileChange = <const Name extends string>(endpoint: HttpApiEndpoint.HttpApiEndpoint<Name, "PATCH" | "PUT">) =>
  endpoint
    .setPayload(reportingAllErrors(ProfileChanges))
    .addSuccess(User)
    .addError(Conflict)
    .addError(NotFound)
    .addError(BodyProblems)
    .addError(TooManyRequests)

const updateMe = profileChange(HttpApiEndpoint.patch("updateMe", "/users/me")).annotateContext(
  documented({
    summary: "Change your profile",
    description: profileDescription,
    request: Examples.someProfileChanges,
    responses: { 200: Examples.aUser, 404: Examples.userNotFound, 409: Examples.usernameTaken },
  }),
)

const replaceMe = profileChange(HttpApiEndpoint.put("replaceMe", "/users/me")).annotateContext(
  documented({
    summary: "Change your profile (PUT)",
    description: `The same as PATCH /users/me, for clients that send PUT. ${profileDescription}`,
    request: Examples.someProfileChanges,
    responses: { 200: Examples.aUser, 404: Examples.userNotFound, 409: Examples.usernameTaken },
  }),
)

const changePassword = HttpApiEndpoint.post("changePassword", "/users/me/password")
  .setPayload(reportingAllErrors(PasswordChange))
  .addSuccess(HttpApiSchema.NoContent)
  .addError(NotFound)
  .addError(BodyProblems)
  .addError(TooManyRequests)
  .annotateContext(
    documented({
      summary: "Change your password",
      description:
        "Sets a new password (the password policy applies), authorized by the current one. A wrong current " +
        "password gets a 400 with code `wrong_password`, and counts as a failed login on the account " +
        "(429 `rate_limited` after a few). Every other session of the account ends; this one goes on.",
      request: Examples.aPasswordChange,
      responses: { 400: Examples.wrongPassword, 404: Examples.userNotFound },
    }),
  )

const deactivateMe = HttpApiEndpoint.del("deactivateMe", "/users/me")
  .addSuccess(HttpApiSchema.NoContent)
  .addError(Conflict)
  .addError(NotFound)
  .annotateContext(
    documented({
      summary: "Deactivate your account",
      description:
        "Deactivates the caller's account (a soft delete): from then on it cannot log in and its tokens get 401. " +
        "Only a superuser can activate it again. The last active superuser cannot deactivate (409).",
      responses: { 404: Examples.userNotFound, 409: Examples.lastSuperuser },
    }),
  )

const list = HttpApiEndpoint.get("list", "/users")
  .setUrlParams(DirectoryQuery)
  .addSuccess(PublicProfilePage)
  .addError(UnprocessableContent)
  .annotateContext(
    documented({
      summary: "Browse the directory",
      description:
        "Active users' public profiles (no email, no flags), a page at a time: `page` and `size` (at most 100), " +
        "or `skip` and `limit`, down to 10,000 rows deep; past that, the keyset cursor `after` (the previous " +
        "page's `next_cursor`: opaque and signed, for this listing, sort and order only). `search` matches " +
        "username and full name ignoring case; `sort` by created_at, username or full_name (what the directory " +
        "shows), `order` asc or desc. Any other parameter (`sort=email`, `is_active`, `is_superuser`) is a 422 " +
        "naming it. `total` is exact up to 1,000 matches (`total_is_exact`). Also served at `/users/`.",
      parameters: Examples.directoryParameters,
      responses: { 200: Examples.aPublicProfilePage },
    }),
  )

const get = HttpApiEndpoint.get("get", "/users/:id")
  .setPath(UserIdPath)
  .addSuccess(PublicProfile)
  .addError(NotFound)
  .annotateContext(
    documented({
      summary: "One user's public profile",
      description: "An active user's public profile. An unknown, inactive or malformed id gets the same 404.",
      parameters: Examples.idParameter,
      responses: { 200: Examples.aPublicProfile, 404: Examples.userNotFound },
    }),
  )

const myEvents = HttpApiEndpoint.get("myEvents", "/users/me/events")
  .setUrlParams(OwnEventsQuery)
  .addSuccess(OwnEventsPage)
  .addError(UnprocessableContent)
  .annotateContext(
    documented({
      summary: "Your security events",
      description:
        "What happened to your account, newest first: logins and failed logins, logouts, sessions ended, " +
        "password and email changes, resets, verifications, throttling. `limit` (1-100, 50 by default) per " +
        "page; pass `next_cursor` as `cursor` for the next one. Events are kept for AUDIT_RETENTION_DAYS.",
      responses: { 200: Examples.someOwnEvents },
    }),
  )

export class UsersApi extends group(
  "users",
  { prefix: "/api/v1", title: "Users", description: "Your own account, and the directory of other users" },
  (group) =>
    group
      .add(updateMe)
      .add(replaceMe)
      .add(changePassword)
      .add(deactivateMe)
      .add(myEvents)
      .add(list)
      .add(get)
      .middleware(Authentication),
) {}
