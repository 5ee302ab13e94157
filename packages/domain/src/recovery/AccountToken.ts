import { Data, Schema } from "effect"
import { Email, UserId } from "../users/User.js"

/** What a token emailed to an account's owner lets them do. */
export const TokenPurpose = Schema.Literal("password_reset", "email_verification")
export type TokenPurpose = typeof TokenPurpose.Type

/** The SHA-256 of an emailed token, base64url: all a store keeps, so a copy of it opens nothing. */
export const AccountTokenHash = Schema.NonEmptyString.pipe(Schema.brand("AccountTokenHash"))
export type AccountTokenHash = typeof AccountTokenHash.Type

/**
 * A single-use token mailed to `email` (the account's address when it was sent) to reset the
 * account's password or confirm that address. Live until `expiresAt`, until redeemed, or until a
 * newer token of the same purpose replaces it.
 */
export class AccountToken extends Schema.Class<AccountToken>("AccountToken")({
  hash: AccountTokenHash,
  purpose: TokenPurpose,
  userId: UserId,
  email: Email,
  createdAt: Schema.DateTimeUtc,
  expiresAt: Schema.DateTimeUtc,
}) {}

/** What a presented token turned out to be; the store decides it atomically. */
export type Redemption = Data.TaggedEnum<{
  /** Live: redeemed now by `redeem` (no one else ever will), or redeemable, for `find`. */
  Valid: { readonly token: AccountToken }
  /** Redeemed already. */
  Used: Record<never, never>
  /** Past its expiry, not redeemed. */
  Expired: Record<never, never>
  /** No such token of this purpose: never issued, replaced by a newer one, purged, or its account deleted. */
  Unknown: Record<never, never>
}>
export const Redemption = Data.taggedEnum<Redemption>()
