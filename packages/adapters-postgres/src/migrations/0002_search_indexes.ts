import type { Migration } from "./Migration.js"

// Search compares JS-lower-cased text (the domain's rule), which PostgreSQL's lower() does not
// always reproduce: it depends on LC_CTYPE and its Unicode tables (İ, final sigma, circled letters
// on PGlite...). So the repository writes lower-cased copies with JS `toLowerCase`. Here existing
// rows get them in SQL: emails and usernames are ASCII by the domain's schemas, and translate()
// lower-cases ASCII exactly whatever the locale; full names get lower(), right for nearly every
// name, and exact once the row is next updated.
const ASCII_UPPER = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
const asciiLower = (column: string) => `translate(${column}, '${ASCII_UPPER}', '${ASCII_UPPER.toLowerCase()}')`

// The copies are COLLATE "C", so they sort by code point (the domain's order) and their b-tree
// indexes, with the id tiebreak, serve a keyset page as cheaply as the first one.
export const searchIndexes: Migration = {
  version: 2,
  name: "search_indexes",
  up: `
ALTER TABLE users
  ADD COLUMN email_lower text COLLATE "C",
  ADD COLUMN username_lower text COLLATE "C",
  ADD COLUMN full_name_lower text COLLATE "C";
UPDATE users SET
  email_lower = ${asciiLower("email")},
  username_lower = ${asciiLower("username")},
  full_name_lower = lower(coalesce(full_name, ''));
ALTER TABLE users
  ALTER COLUMN email_lower SET NOT NULL,
  ALTER COLUMN username_lower SET NOT NULL,
  ALTER COLUMN full_name_lower SET NOT NULL;

-- pg_trgm is database-wide: use it from whichever schema holds it (a DBA may have installed it in
-- a schema of its own), else install it in ours. Its operator class is named with that schema, so
-- it need not be on the search_path.
DO $$
DECLARE trgm name;
BEGIN
  CREATE EXTENSION IF NOT EXISTS pg_trgm;
  SELECT n.nspname INTO STRICT trgm
    FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace
    WHERE e.extname = 'pg_trgm';
  EXECUTE format('CREATE INDEX users_email_trgm_idx ON users USING gin (email_lower %I.gin_trgm_ops)', trgm);
  EXECUTE format('CREATE INDEX users_username_trgm_idx ON users USING gin (username_lower %I.gin_trgm_ops)', trgm);
  EXECUTE format('CREATE INDEX users_full_name_trgm_idx ON users USING gin (full_name_lower %I.gin_trgm_ops)', trgm);
END
$$;

CREATE INDEX users_email_sort_idx ON users (email_lower, id);
CREATE INDEX users_username_sort_idx ON users (username_lower, id);
CREATE INDEX users_full_name_sort_idx ON users ((coalesce(full_name, '') COLLATE "C"), id);
-- The few rows a write that could remove the last active superuser locks.
CREATE INDEX users_active_superuser_idx ON users (id) WHERE is_superuser AND is_active;
`,
  // pg_trgm stays: it is shared by the whole database (other schemas, other applications, or a
  // DBA may use it, and we cannot tell whether up installed it), and an unused extension costs nothing.
  down: `
DROP INDEX users_active_superuser_idx, users_full_name_sort_idx, users_username_sort_idx, users_email_sort_idx,
  users_full_name_trgm_idx, users_username_trgm_idx, users_email_trgm_idx;
ALTER TABLE users DROP COLUMN full_name_lower, DROP COLUMN username_lower, DROP COLUMN email_lower;
`,
}
