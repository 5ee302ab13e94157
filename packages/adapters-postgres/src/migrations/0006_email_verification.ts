import type { Migration } from "./Migration.js"

// When the owner proved the address theirs; NULL while unverified. Existing users start unverified.
export const emailVerification: Migration = {
  version: 6,
  name: "email_verification",
  up: `
ALTER TABLE users ADD COLUMN email_verified_at timestamptz NULL;
`,
  down: `
ALTER TABLE users DROP COLUMN email_verified_at;
`,
}
