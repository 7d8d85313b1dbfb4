-- Portcullis schema, migration 3: dependency versions for exact cache invalidation.
-- A write that changes a user, team, project, generation or API key (or signs a user out) sets a version to the
-- revision of the write, in the same transaction. A cached answer records the versions it depended on and is valid
-- only while they are all unchanged. Keys: 'user:<id>', 'team:<id>', 'project:<id>', 'generation:<id>',
-- 'apikeys' (one for all keys), and 'epoch' (bumped by bulk imports: every cached answer depends on it).
CREATE TABLE versions (
    key     TEXT PRIMARY KEY NOT NULL,
    version INTEGER NOT NULL
) WITHOUT ROWID;
