import type { Migration } from "./Migration.js"

// The keys that sign tokens, shared by every instance. The private half is sealed by the signer
// (opaque here); the public half is the JWK the JWKS publishes. Times come from the application's
// clock, never now(). The CHECK is the lifecycle no version will relax: a key signs for a while,
// then stays published at least until it stops signing. A few rows ever: no index but the key.
export const createSigningKeys: Migration = {
  version: 4,
  name: "create_signing_keys",
  up: `
CREATE TABLE userkit_signing_keys (
  kid text PRIMARY KEY,
  algorithm text NOT NULL,
  public_jwk jsonb NOT NULL,
  sealed_private_key text NOT NULL,
  created_at timestamptz NOT NULL,
  signs_until timestamptz NOT NULL,
  published_until timestamptz NOT NULL,
  CONSTRAINT userkit_signing_keys_lifetime_check CHECK (created_at < signs_until AND signs_until <= published_until)
);
`,
  down: `
DROP TABLE userkit_signing_keys;
`,
}
