import {
  type AccountChanges,
  EmailAlreadyRegistered,
  EmailAlreadyVerified,
  Forbidden,
  LastActiveSuperuser,
  MailUnavailable,
  type NewAccount,
  type PasswordChange,
  type ProfileChanges,
  type PublicProfile,
  RateLimited,
  RefreshTokenReused,
  type Registration,
  SessionNotFound,
  type User,
  UserNotFound,
  UsernameTaken,
  WrongPassword,
} from "@userkit/domain"
import type { Schema } from "effect"
import type { AccessToken, LogoutPayload, RefreshPayload, SessionInfo } from "../auth/Login.js"
import { tooLarge, unsupportedMediaType } from "../edge/RequestBody.js"
import type { DirectoryPage } from "../listing/Listing.js"
import type { Status } from "../ops/Api.js"
import type { Jwks } from "../ops/PublicKeys.js"
import { toProblem, unauthorized } from "../problems/DomainProblems.js"
import { problemBody, problemType, UnprocessableContent } from "../problems/Problem.js"
import { internalError, malformedBody, notReady } from "../problems/ProblemResponses.js"
import { DEFAULT_MAX_BODY_BYTES } from "../Settings.js"

type Sent<S extends Schema.Schema.Any> = Schema.Schema.Encoded<S>

/** Example values for the OpenAPI document, typed by the wire form of the schemas they illustrate. */
export const aUser = {
  id: "01943b8e-6c2a-7d41-9b3e-5f0a2c8d1e47",
  email: "ada@example.com",
  email_verified: true,
  email_verified_at: "2026-01-02T03:09:41.002Z",
  username: "ada",
  full_name: "Ada Lovelace",
  bio: "Writes programs for engines that do not exist yet.",
  avatar_url: "https://example.com/avatars/ada.png",
  is_active: true,
  is_superuser: false,
  created_at: "2026-01-02T03:04:05.678Z",
  updated_at: "2026-01-02T03:04:05.678Z",
} satisfies Sent<typeof User>

export const aPublicProfile = {
  id: aUser.id,
  username: aUser.username,
  full_name: aUser.full_name,
  bio: aUser.bio,
  avatar_url: aUser.avatar_url,
  created_at: aUser.created_at,
} satisfies Sent<typeof PublicProfile>

const page = <A>(item: A): DirectoryPage<A> => ({
  items: [item],
  total: 41,
  total_is_exact: true,
  page: 1,
  size: 20,
  pages: 3,
  next_cursor:
    "WyIyMDI2LTAxLTAyVDAzOjA0OjA1LjY3OFoiLCIwMTk0M2I4ZS02YzJhLTdkNDEtOWIzZS01ZjBhMmM4ZDFlNDciXQ." +
    "ycVpzE9t72LFV2BlcRzvPL9QpHqR0j4N6u8SqJeSx-o",
})
export const aPublicProfilePage = page(aPublicProfile)
export const aUserPage = page(aUser)

export const aRegistration = {
  email: aUser.email,
  username: aUser.username,
  password: "correct horse battery staple",
  full_name: aUser.full_name,
} satisfies Sent<typeof Registration>

export const someCredentials = { username: aUser.email, password: aRegistration.password }

export const anAccessToken = {
  access_token: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIwMTk0In0.c2lnbmF0dXJl",
  token_type: "bearer",
  expires_in: 900,
  refresh_token: "Zm9yIGV4YW1wbGUgb25seTogbm90IGEgcmVhbCB0b2tlbg",
  refresh_expires_in: 604800,
  user: aUser,
} satisfies Sent<typeof AccessToken>

export const aRefresh = { refresh_token: anAccessToken.refresh_token } satisfies Sent<typeof RefreshPayload>
export const aLogout = { scope: "others" } satisfies Sent<typeof LogoutPayload>
export const sessionIdParameter = { id: "0b9d3f4e-7c1a-4b8e-9f2d-5a6c7e8f9012" } as const

const aSession = {
  id: sessionIdParameter.id,
  created_at: "2026-05-04T03:02:01.000Z",
  last_used_at: "2026-05-05T10:11:12.000Z",
  expires_at: "2026-05-12T10:11:12.000Z",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0",
  ip_address: "203.0.113.7",
  current: true,
} satisfies Sent<typeof SessionInfo>
export const someSessions = [aSession, { ...aSession, id: "5d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6", current: false }]

export const someProfileChanges = {
  full_name: "Augusta Ada King",
  bio: "Countess of Lovelace.",
} satisfies Sent<typeof ProfileChanges>

export const aPasswordChange = {
  current_password: aRegistration.password,
  new_password: "a longer and newer passphrase",
} satisfies Sent<typeof PasswordChange>

export const aNewAccount = {
  email: "grace@example.com",
  username: "grace",
  password: "a ship in port is safe",
  full_name: "Grace Hopper",
  is_superuser: true,
} satisfies Sent<typeof NewAccount>

export const someAccountChanges = { is_active: false } satisfies Sent<typeof AccountChanges>

/** Query parameters of a listing. No `search`: Swagger UI pre-fills "Try it out" with these, which should list everyone. */
export const directoryParameters = { page: 1, size: 20, sort: "created_at", order: "asc" } as const
export const idParameter = { id: aUser.id } as const

export const ok = { status: "ok" } satisfies Sent<typeof Status>
export const aJwks = {
  keys: [
    {
      kty: "OKP",
      crv: "Ed25519",
      x: "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo",
      kid: "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k",
      alg: "EdDSA",
      use: "sig",
    },
  ],
} satisfies Sent<typeof Jwks>

/** Problems as answered, each built by the code that sends it. */
export const emailTaken = problemBody(toProblem(new EmailAlreadyRegistered()))
export const usernameTaken = problemBody(toProblem(new UsernameTaken()))
export const userNotFound = problemBody(toProblem(new UserNotFound()))
export const lastSuperuser = problemBody(toProblem(new LastActiveSuperuser()))
export const wrongPassword = problemBody(toProblem(new WrongPassword()))
export const refreshTokenReused = problemBody(toProblem(new RefreshTokenReused()))
export const sessionNotFound = problemBody(toProblem(new SessionNotFound()))
export const databaseNotReady = problemBody(notReady("database unreachable"))

const invalidRequest = problemBody(
  new UnprocessableContent({
    type: problemType("invalid_request"),
    code: "invalid_request",
    detail: "email: email must be a valid e-mail address; is_superuser: is unexpected",
    errors: [
      { pointer: "#/email", detail: "email must be a valid e-mail address" },
      { pointer: "#/is_superuser", detail: "is unexpected" },
    ],
  }),
)

/** The answers most endpoints share, by status: an endpoint's own example for a status comes first. */
export const byStatus: Readonly<Record<string, unknown>> = {
  400: problemBody(malformedBody()),
  401: problemBody(unauthorized()),
  403: problemBody(toProblem(new Forbidden())),
  413: problemBody(tooLarge(DEFAULT_MAX_BODY_BYTES)),
  415: problemBody(unsupportedMediaType()),
  422: invalidRequest,
  429: problemBody(toProblem(new RateLimited({ retryAfterSeconds: 30 }))),
  500: problemBody(internalError()),
  503: problemBody(toProblem(new MailUnavailable())),
}

export const emailVerifiedAlready = problemBody(toProblem(new EmailAlreadyVerified()))
export const aResetRequest = { email: aUser.email }
export const aTokenExample = "Zp0Yk2v8Jv3W1nGxQ7e5cTq9bR4sUa6dHf2mLwXyNoE"
export const aReset = { token: aTokenExample, new_password: "a new long passphrase" }
export const aVerification = { token: aTokenExample }

const anEvent = {
  id: "01943b8e-6c2a-7d41-9b3e-5f0a2c8d1e47",
  at: "2026-11-27T13:05:01.234Z",
  type: "logged_in",
  actor_id: aUser.id,
  user_id: aUser.id,
  address: "203.0.113.10",
  user_agent: "Mozilla/5.0 (X11; Linux x86_64) Firefox/133.0",
}
export const someOwnEvents = { items: [anEvent], next_cursor: anEvent.id }
export const anAuditPage = {
  items: [
    {
      ...anEvent,
      id: "01943b8e-7a10-7c22-8e4f-1b2c3d4e5f60",
      type: "login_failed",
      actor_id: null,
      detail: "wrong password",
    },
  ],
  next_cursor: null,
}
