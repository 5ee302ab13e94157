import type { Migration } from "./Migration.js"

// TODO(helper B): audit events and account tokens.
export const createAuditAndAccountTokens: Migration = {
  version: 5,
  name: "create_audit_and_account_tokens",
  up: `SELECT 1;`,
  down: `SELECT 1;`,
}
