-- The database's identity, as schema/0011_database_identity.sql gives SQLite's: a random value made once, which each
-- node's decision cache file (L2/L3) records with its entries, dropping them all when it opens beside another
-- database (docs/caching.md, "Whose entries L3 keeps"). Frozen once shipped.
--
-- A dump restored with pg_restore carries the value but not the table's OID, which the identity a node reads also
-- holds (PostgresStore.databaseIdentity): a restored database is another one to every node's cache.
CREATE TABLE database_identity (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value TEXT NOT NULL
);
INSERT INTO database_identity (id, value) VALUES (1, gen_random_uuid()::text);
