import { createUsers } from "./0001_create_users.js"
import { searchIndexes } from "./0002_search_indexes.js"
import { createSessions } from "./0003_create_sessions.js"
import { createSigningKeys } from "./0004_create_signing_keys.js"
import { createAuditAndAccountTokens } from "./0005_create_audit_and_account_tokens.js"
import { emailVerification } from "./0006_email_verification.js"
import type { Migration } from "./Migration.js"

export * from "./Migration.js"

/** Every migration of the users store, in version order. Append; never edit a released one. */
export const migrations: ReadonlyArray<Migration> = [
  createUsers,
  searchIndexes,
  createSessions,
  createSigningKeys,
  createAuditAndAccountTokens,
  emailVerification,
]
