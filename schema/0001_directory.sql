-- Portcullis schema, migration 1: the directory (users, teams, memberships, projects, generations),
-- role grants as data, API keys, and the data revision.
-- Frozen once shipped: later changes go in new numbered files.

-- The data revision: one number that grows with every committed write.
CREATE TABLE revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value INTEGER NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE users (
    id            TEXT PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    is_admin      INTEGER NOT NULL DEFAULT 0 CHECK (is_admin IN (0, 1)),
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at    TEXT NOT NULL,
    deleted_at    TEXT
) WITHOUT ROWID;
-- Email is unique among users that exist (case-insensitive); a deleted user's email may be taken again.
CREATE UNIQUE INDEX users_email_live ON users (email COLLATE NOCASE) WHERE deleted_at IS NULL;
-- subjects: every admin may act on everything.
CREATE INDEX users_admins ON users (is_admin, id) WHERE is_admin = 1 AND deleted_at IS NULL;

CREATE TABLE teams (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    deleted_at TEXT
) WITHOUT ROWID;

CREATE TABLE team_members (
    team_id     TEXT NOT NULL REFERENCES teams (id),
    user_id     TEXT NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    -- Extra actions, space-separated (e.g. 'delete update'); validated against the known actions on write.
    permissions TEXT NOT NULL DEFAULT '',
    is_active   INTEGER NOT NULL DEFAULT 1 CHECK (is_active IN (0, 1)),
    created_at  TEXT NOT NULL,
    PRIMARY KEY (team_id, user_id)
) WITHOUT ROWID;
-- The original design's "authorization super index": a user's active memberships.
CREATE INDEX team_members_authorization ON team_members (user_id, is_active, role, team_id) WHERE is_active = 1;

CREATE TABLE projects (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id),
    team_id    TEXT REFERENCES teams (id),
    visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'team', 'public')),
    created_at TEXT NOT NULL,
    deleted_at TEXT
) WITHOUT ROWID;
CREATE INDEX projects_visibility_authorization ON projects (visibility, owner_id, created_at DESC);
-- resources: projects a user owns, projects of a team.
CREATE INDEX projects_owner ON projects (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX projects_team ON projects (team_id, id) WHERE deleted_at IS NULL;

CREATE TABLE generations (
    id         TEXT PRIMARY KEY NOT NULL,
    owner_id   TEXT NOT NULL REFERENCES users (id),
    project_id TEXT REFERENCES projects (id),
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    media_key  TEXT,
    created_at TEXT NOT NULL,
    deleted_at TEXT
) WITHOUT ROWID;
-- The original design's authorization hot-path index.
CREATE INDEX generations_authorization ON generations (owner_id, project_id, status, created_at DESC) WHERE deleted_at IS NULL;
-- resources: a user's generations and a project's generations, in id order for cursor paging.
CREATE INDEX generations_owner ON generations (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX generations_project ON generations (project_id, id) WHERE deleted_at IS NULL;

-- What each team role grants, per resource type. Data, not code.
CREATE TABLE role_grants (
    role          TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    action        TEXT NOT NULL,
    PRIMARY KEY (role, resource_type, action)
) WITHOUT ROWID;
INSERT INTO role_grants (role, resource_type, action) VALUES
    ('owner',  'generation', 'read'), ('owner',  'generation', 'update'), ('owner',  'generation', 'delete'), ('owner',  'generation', 'download'),
    ('admin',  'generation', 'read'), ('admin',  'generation', 'update'), ('admin',  'generation', 'delete'), ('admin',  'generation', 'download'),
    ('editor', 'generation', 'read'), ('editor', 'generation', 'update'), ('editor', 'generation', 'download'),
    ('viewer', 'generation', 'read'), ('viewer', 'generation', 'download'),
    ('owner',  'project', 'read'), ('owner',  'project', 'update'), ('owner',  'project', 'delete'), ('owner',  'project', 'create_generation'),
    ('admin',  'project', 'read'), ('admin',  'project', 'update'), ('admin',  'project', 'delete'), ('admin',  'project', 'create_generation'),
    ('editor', 'project', 'read'), ('editor', 'project', 'create_generation'),
    ('viewer', 'project', 'read'),
    ('owner',  'team', 'read'), ('owner',  'team', 'manage_members'),
    ('admin',  'team', 'read'), ('admin',  'team', 'manage_members'),
    ('editor', 'team', 'read'),
    ('viewer', 'team', 'read');

-- Service credentials. Only the SHA-256 of a key is stored.
CREATE TABLE api_keys (
    id         TEXT PRIMARY KEY NOT NULL,
    name       TEXT NOT NULL,
    key_hash   BLOB NOT NULL UNIQUE,
    -- Space-separated: 'authz' (check endpoints), 'admin' (everything).
    scopes     TEXT NOT NULL DEFAULT 'authz',
    created_at TEXT NOT NULL
) WITHOUT ROWID;
