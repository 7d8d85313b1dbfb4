-- The change log (SPEC 8.2): one row per entity a committed write changed, written in that write's transaction.
-- (revision, seq) is the order of the log; readers page it with `(revision, seq) > (?, ?)`, a range on the key.
-- before/after hold the entity's public JSON (never a secret or hash), NULL where it did not exist.
CREATE TABLE changes (
    revision   INTEGER NOT NULL,
    seq        INTEGER NOT NULL,
    at         TEXT    NOT NULL,
    actor_kind TEXT    NOT NULL CHECK (actor_kind IN ('api_key', 'user', 'cli', 'system')),
    actor_id   TEXT,
    request_id TEXT,
    entity     TEXT    NOT NULL CHECK (entity IN ('user', 'team', 'member', 'project', 'generation', 'api_key')),
    entity_id  TEXT    NOT NULL,
    op         TEXT    NOT NULL CHECK (op IN ('create', 'update', 'delete', 'expire', 'activate')),
    before     TEXT,
    after      TEXT,
    PRIMARY KEY (revision, seq)
) WITHOUT ROWID;

-- The history of one entity (`entity_id` filter): a search on the id, in log order (the key follows in the index).
CREATE INDEX changes_by_entity_id ON changes (entity_id, revision, seq);

-- Every change at or below this revision may be gone: retention moves it forward. A database that had data before
-- this migration starts with the revision it had then, since its earlier history was never recorded.
CREATE TABLE change_horizon (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision INTEGER NOT NULL
);
INSERT INTO change_horizon (id, revision) SELECT 1, value FROM revision WHERE id = 1;
