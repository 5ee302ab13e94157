import type { Migration } from "./Migration.js"

// A session is one login; its refresh tokens (only their hashes) chain from the first, each
// pointing to its session, each retired one to its successor. Times come from the application's
// clock, never now(). A session ends at LEAST(revoked_at, idle_expires_at, absolute_expires_at)
// (LEAST ignores a NULL): the purge index is on that.
export const createSessions: Migration = {
  version: 3,
  name: "create_sessions",
  up: `
CREATE TABLE userkit_sessions (
  id uuid PRIMARY KEY,
  user_id uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL,
  last_used_at timestamptz NOT NULL,
  idle_expires_at timestamptz NOT NULL,
  absolute_expires_at timestamptz NOT NULL,
  user_agent text NULL,
  address text NOT NULL,
  revoked_at timestamptz NULL
);
CREATE INDEX userkit_sessions_user_idx ON userkit_sessions (user_id, last_used_at DESC, id);
CREATE INDEX userkit_sessions_end_idx
  ON userkit_sessions ((LEAST(revoked_at, idle_expires_at, absolute_expires_at)));

CREATE TABLE userkit_refresh_tokens (
  token_hash text PRIMARY KEY,
  session_id uuid NOT NULL REFERENCES userkit_sessions (id) ON DELETE CASCADE,
  issued_at timestamptz NOT NULL,
  retired_at timestamptz NULL,
  successor_hash text NULL,
  CONSTRAINT userkit_refresh_tokens_retired_check CHECK ((retired_at IS NULL) = (successor_hash IS NULL))
);
CREATE INDEX userkit_refresh_tokens_session_idx ON userkit_refresh_tokens (session_id);
-- At most one current token per session, whatever a store's bug or race tries.
CREATE UNIQUE INDEX userkit_refresh_tokens_current_key ON userkit_refresh_tokens (session_id)
  WHERE retired_at IS NULL;
`,
  down: `
DROP TABLE userkit_refresh_tokens;
DROP TABLE userkit_sessions;
`,
}
