-- Portcullis schema, migration 4: hardening (SPEC section 8.1).
-- Frozen once shipped: later changes go in new numbered files.

-- Emails are stored in one form, trimmed and lowercased (full Unicode), and every lookup and the uniqueness rule
-- compare that form exactly. SQLite's lower() folds ASCII letters only: the store's data step for this migration
-- (Migrations.dataSteps) folds the rest in Swift, then creates the unique index `users_email_live (email)`.
DROP INDEX users_email_live;
UPDATE users SET email = lower(trim(email));

-- Where an API key came from: the first start's admin.key ('bootstrap'), PORTCULLIS_ADMIN_KEY ('environment'), or
-- POST /api/v1/api-keys ('api'). An environment key is replaced when the variable changes between starts.
ALTER TABLE api_keys ADD COLUMN source TEXT NOT NULL DEFAULT 'api';
UPDATE api_keys SET source = 'bootstrap' WHERE name = 'admin (admin.key)';
UPDATE api_keys SET source = 'environment' WHERE name = 'admin (PORTCULLIS_ADMIN_KEY)';
-- RFC 3339; updated at most once a minute per key, outside the revision (it is bookkeeping, not data decisions read).
ALTER TABLE api_keys ADD COLUMN last_used_at TEXT;
