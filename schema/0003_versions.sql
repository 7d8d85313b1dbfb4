-- Portcullis schema, migration 3: dependency versions for exact cache invalidation.
-- A write that changes a user, team, project, generation, API key or sign-in token sets that entity's version to the
-- revision of the write, in the same transaction. A cached answer records the versions it depended on and is valid
-- only while they are all unchanged. Keys: 'user:<id>', 'team:<id>', 'project:<id>', 'generation:<id>',
-- 'apikey:<id>', 'token:<sha256 hex>', and 'epoch' (bumped by bulk imports: every cached answer depends on it).
CREATE TABLE versions (
    key     TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;
