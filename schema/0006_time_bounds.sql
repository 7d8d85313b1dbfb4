-- Portcullis schema, migration 6: time-bound memberships and API keys (SPEC 8.3).
-- Bounds are Unix milliseconds (INTEGER), compared with the check's instant as integers; the API shows them as
-- RFC 3339. NULL is unbounded. A membership grants only inside [starts_at, expires_at).
ALTER TABLE team_members ADD COLUMN starts_at INTEGER;
ALTER TABLE team_members ADD COLUMN expires_at INTEGER CHECK (expires_at IS NULL OR starts_at IS NULL OR expires_at > starts_at);
-- The sweep that records `activate` and `expire` changes finds the bounds that passed by range on these.
CREATE INDEX team_members_starts_at ON team_members (starts_at) WHERE starts_at IS NOT NULL;
CREATE INDEX team_members_expires_at ON team_members (expires_at) WHERE expires_at IS NOT NULL;

ALTER TABLE api_keys ADD COLUMN expires_at INTEGER;

-- Every bound at or before this instant (Unix ms) has had its change recorded. It starts now: a database that had no
-- bounds before has nothing to record for the past.
CREATE TABLE time_bound_sweep (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    swept_until INTEGER NOT NULL
);
INSERT INTO time_bound_sweep (id, swept_until) VALUES (1, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER));
