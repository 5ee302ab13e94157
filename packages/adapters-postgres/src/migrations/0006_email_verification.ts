import type { Migration } from "./Migration.js"

// TODO(helper C): users.email_verified_at.
export const emailVerification: Migration = {
  version: 6,
  name: "email_verification",
  up: `SELECT 1;`,
  down: `SELECT 1;`,
}
