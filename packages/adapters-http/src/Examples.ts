import type {
  AccountChanges,
  NewAccount,
  PasswordChange,
  ProfileChanges,
  PublicProfile,
  Registration,
  User,
} from "@userkit/domain"
import type { Schema } from "effect"
import type { DirectoryPage } from "./Listing.js"

type Sent<S extends Schema.Schema.Any> = Schema.Schema.Encoded<S>

/** Example values for the OpenAPI document, typed by the wire form of the schemas they illustrate. */
export const aUser = {
  id: "01943b8e-6c2a-7d41-9b3e-5f0a2c8d1e47",
  email: "ada@example.com",
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
