import type { Migration } from "./Migration.js"

// Uniqueness lives in the lower(...) indexes so it holds under concurrent inserts; the
// repository maps a violation to a domain error by the index name. The CHECKs guard only
// invariants no version of the domain will relax; the domain owns the finer rules.
export const createUsers: Migration = {
  version: 1,
  name: "create_users",
  up: `
CREATE TABLE users (
  id uuid PRIMARY KEY,
  email text NOT NULL,
  username text NOT NULL,
  full_name text NULL,
  bio text NULL,
  avatar_url text NULL,
  is_active boolean NOT NULL DEFAULT true,
  is_superuser boolean NOT NULL DEFAULT false,
  password_hash text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  CONSTRAINT users_email_check CHECK (position('@' IN email) > 1 AND char_length(email) <= 254),
  CONSTRAINT users_username_check CHECK (char_length(username) BETWEEN 3 AND 100),
  CONSTRAINT users_password_hash_check CHECK (password_hash <> '')
);
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE INDEX users_created_at_id_idx ON users (created_at, id);
`,
  down: `
DROP TABLE users;
`,
}
