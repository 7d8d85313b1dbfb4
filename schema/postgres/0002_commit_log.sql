-- The change feed (SPEC 8.4, docs/caching.md): every write's revision and the dependency keys it moved, written in
-- the write's transaction, so a node can replay, in revision order, the commits it missed (not yet started, its
-- LISTEN connection lost, a notification too large to carry the keys). Pruned by age; a node that falls behind the
-- oldest row reloads from `versions` instead.
CREATE TABLE commit_log (
    revision    BIGINT PRIMARY KEY,
    keys        TEXT[] NOT NULL,
    recorded_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- The reload of a node too far behind: the versions moved after a revision.
CREATE INDEX versions_by_version ON versions (version);
