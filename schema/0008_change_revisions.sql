-- Portcullis schema: the change log stored once per revision, and narrow change rows.
-- Frozen once shipped: later changes go in new numbered files.
--
-- A write's `at`, actor and request id are the same for every change it records, so they are kept once, in
-- `change_revisions`, instead of on each change row. A bulk write (import, seed) stores its creates and updates without
-- `after`: it is derived when the change is read (`after IS NULL` with op `create` or `update` means "derived", since a
-- created or updated entity always exists afterwards), from the `before` of the entity's next change (every later write
-- records it) or, when there is none, from the entity's row. An import then writes each entity once, not twice.
-- Rows recorded before this migration keep their `after`.

-- One row per revision that recorded at least one change, written with its first change, in the same transaction.
CREATE TABLE change_revisions (
    revision   INTEGER PRIMARY KEY,
    at         TEXT    NOT NULL,
    actor_kind TEXT    NOT NULL CHECK (actor_kind IN ('api_key', 'user', 'cli', 'system')),
    actor_id   TEXT,
    request_id TEXT
);
-- Every revision's changes share these values; retention removes whole revisions, so each one kept has its seq 0.
INSERT INTO change_revisions (revision, at, actor_kind, actor_id, request_id)
    SELECT revision, at, actor_kind, actor_id, request_id FROM changes WHERE seq = 0;

-- (revision, seq) is the order of the log; readers page it with `(revision, seq) > (?, ?)`, a range on the key, and
-- find each change's revision in `change_revisions` by its key. before/after hold the entity's public JSON (never a
-- secret or hash); NULL where it did not exist, and a derived `after` (above).
CREATE TABLE changes_narrow (
    revision  INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    entity    TEXT    NOT NULL CHECK (entity IN ('user', 'team', 'member', 'project', 'generation', 'api_key')),
    entity_id TEXT    NOT NULL,
    op        TEXT    NOT NULL CHECK (op IN ('create', 'update', 'delete', 'expire', 'activate')),
    before    TEXT,
    after     TEXT,
    PRIMARY KEY (revision, seq)
) WITHOUT ROWID;
INSERT INTO changes_narrow (revision, seq, entity, entity_id, op, before, after)
    SELECT revision, seq, entity, entity_id, op, before, after FROM changes ORDER BY revision, seq;
DROP TABLE changes;
ALTER TABLE changes_narrow RENAME TO changes;

-- The history of one entity (`entity_id` filter, and a derived `after`'s next change): a search on the id, in log
-- order (the key follows in the index).
CREATE INDEX changes_by_entity_id ON changes (entity_id, revision, seq);
