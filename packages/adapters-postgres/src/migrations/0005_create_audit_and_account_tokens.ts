import type { Migration } from "./Migration.js"

// Audit events are append-only and outlive the accounts they name: actor and target are plain
// uuids, no foreign key. Times come from the application's clock, never now(). Indexes, each for
// a query the store runs:
// - the primary key walks every event newest first (the unfiltered list and its `before` pages);
// - (target, id DESC): an account's own events, newest first (GET /users/me/events), the query
//   every user can run, so it must not scan the table;
// - (type, id DESC): an operator's search for a rare type (refresh_reuse_detected, throttled)
//   would otherwise walk the primary key back through every logged_in event before the first match;
// - (at): the purge of old events, and the since/until filters.
// The user agent is the client's to write: the CHECK backs the store's cut at 512 characters.
//
// Account tokens are kept as hashes and die with their account (ON DELETE CASCADE). At most one
// unredeemed token per account and purpose: the partial unique index holds that whatever races,
// and is the arbiter of issue's single INSERT ... ON CONFLICT ... DO UPDATE, which replaces the
// earlier token in place (new hash, times, email) in one atomic statement. A redeemed token leaves
// the index, so it stays Used beside its successor. (user_id) serves the cascade of an account's
// deletion, which must find redeemed tokens too; the purge takes tokens expired or redeemed before
// a time, LEAST ignoring a NULL redeemed_at: the expression it indexes.
export const createAuditAndAccountTokens: Migration = {
  version: 5,
  name: "create_audit_and_account_tokens",
  up: `
CREATE TABLE userkit_audit_events (
  id uuid PRIMARY KEY,
  at timestamptz NOT NULL,
  type text NOT NULL,
  actor uuid NULL,
  target uuid NULL,
  address text NULL,
  user_agent text NULL,
  detail text NULL,
  CONSTRAINT userkit_audit_events_type_check CHECK (type IN (
    'registered', 'logged_in', 'login_failed', 'logged_out', 'session_revoked', 'refresh_reuse_detected',
    'password_changed', 'password_reset_requested', 'password_reset_completed',
    'email_verification_requested', 'email_verified', 'email_changed',
    'account_deactivated', 'account_activated', 'promoted', 'demoted', 'deleted', 'throttled'
  )),
  CONSTRAINT userkit_audit_events_user_agent_check CHECK (char_length(user_agent) <= 512)
);
CREATE INDEX userkit_audit_events_target_idx ON userkit_audit_events (target, id DESC);
CREATE INDEX userkit_audit_events_type_idx ON userkit_audit_events (type, id DESC);
CREATE INDEX userkit_audit_events_at_idx ON userkit_audit_events (at);

CREATE TABLE userkit_account_tokens (
  hash text PRIMARY KEY,
  purpose text NOT NULL,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  email text NOT NULL,
  created_at timestamptz NOT NULL,
  expires_at timestamptz NOT NULL,
  redeemed_at timestamptz NULL,
  CONSTRAINT userkit_account_tokens_purpose_check CHECK (purpose IN ('password_reset', 'email_verification'))
);
CREATE UNIQUE INDEX userkit_account_tokens_live_key ON userkit_account_tokens (user_id, purpose)
  WHERE redeemed_at IS NULL;
CREATE INDEX userkit_account_tokens_user_idx ON userkit_account_tokens (user_id);
CREATE INDEX userkit_account_tokens_end_idx ON userkit_account_tokens ((LEAST(expires_at, redeemed_at)));
`,
  down: `
DROP TABLE userkit_account_tokens;
DROP TABLE userkit_audit_events;
`,
}
