import { Context, type Effect, Schema } from "effect"

/** A public key as a JWK (RFC 7517): what another service verifies the access tokens with. */
export const PublicJwk = Schema.Struct({
  kty: Schema.String,
  crv: Schema.optional(Schema.String),
  x: Schema.optional(Schema.String),
  kid: Schema.String,
  alg: Schema.String,
  use: Schema.Literal("sig"),
})

/** A JWK Set: the keys access tokens are signed with, and those still verifying tokens signed before a rotation. */
export const Jwks = Schema.Struct({ keys: Schema.Array(PublicJwk) }).annotations({ identifier: "JWKS" })
export type Jwks = typeof Jwks.Type

/** Where the served JWKS comes from: the signing keys' ring, or none (HMAC tokens have no public key). */
export class PublicKeys extends Context.Tag("userkit/http/PublicKeys")<
  PublicKeys,
  { readonly jwks: Effect.Effect<Jwks> }
>() {}
