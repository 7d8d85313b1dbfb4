-- Portcullis schema, migration 2: user sign-in tokens.
-- Only the SHA-256 of a token is stored; a token works while its row exists, it has not expired,
-- and its user is active and not deleted (checked on every request).
CREATE TABLE user_tokens (
    token_hash BLOB PRIMARY KEY NOT NULL,
    user_id    TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    -- Unix seconds.
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX user_tokens_user ON user_tokens (user_id);
CREATE INDEX user_tokens_expiry ON user_tokens (expires_at);
