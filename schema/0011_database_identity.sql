-- Portcullis schema, migration 11: the database's identity.
-- Frozen once shipped: later changes go in new numbered files.
--
-- A random value, made once, when this migration runs on a database. The decision cache's file beside it
-- (decision-cache.sqlite, layers L2 and L3) records the identity of the database its entries were computed from and
-- drops them all when it opens beside another one: revisions and versions are counters that every database starts
-- again, so an entry from another database could match this one's versions by coincidence (docs/caching.md, "Whose
-- entries L3 keeps"). A backup carries the identity; a restore deletes the decision cache anyway.
CREATE TABLE database_identity (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value TEXT NOT NULL
);
INSERT INTO database_identity (id, value) VALUES (1, lower(hex(randomblob(16))));
