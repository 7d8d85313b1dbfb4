-- Portcullis schema for PostgreSQL, migration 1: the state SQLite reaches after schema/0001..0010, in one step.
-- Frozen once shipped: later changes go in new numbered files of this folder.
--
-- Same tables, columns, constraints and composite indexes as the SQLite schema, with PostgreSQL's types: flags are
-- BOOLEAN, hashes BYTEA, revisions and Unix times BIGINT. Timestamps stay RFC 3339 TEXT as on SQLite, so both backends
-- render entities byte for byte alike. Ids, emails and names compare with COLLATE "C" (byte order): listings page in id
-- order and must order exactly as SQLite does, whatever the database's locale.

CREATE TABLE revision (
    id    INTEGER PRIMARY KEY CHECK (id = 1),
    value BIGINT NOT NULL
);
INSERT INTO revision (id, value) VALUES (1, 0);

CREATE TABLE users (
    id            TEXT COLLATE "C" PRIMARY KEY,
    email         TEXT COLLATE "C" NOT NULL,
    display_name  TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    is_admin      BOOLEAN NOT NULL DEFAULT FALSE,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_at    TEXT NOT NULL,
    deleted_at    TEXT
);
-- Emails are stored normalized (trimmed, lowercased in full Unicode) by the application, as on SQLite.
CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL;
CREATE INDEX users_admins ON users (is_admin, id) WHERE is_admin AND deleted_at IS NULL;

CREATE TABLE teams (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    owner_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
-- Team search folds ASCII letters only (SQLite's lower() without ICU; PostgreSQL's lower() would fold every letter).
CREATE INDEX teams_name_search ON teams (translate(name, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz'), id)
    WHERE deleted_at IS NULL;

CREATE TABLE team_members (
    team_id     TEXT COLLATE "C" NOT NULL REFERENCES teams (id),
    user_id     TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    role        TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    -- Extra actions, space-separated (e.g. 'delete update'); validated against the known actions on write.
    permissions TEXT NOT NULL DEFAULT '',
    is_active   BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  TEXT NOT NULL,
    -- Unix milliseconds; NULL for no bound.
    starts_at   BIGINT,
    expires_at  BIGINT CHECK (expires_at IS NULL OR starts_at IS NULL OR expires_at > starts_at),
    PRIMARY KEY (team_id, user_id)
);
CREATE INDEX team_members_authorization ON team_members (user_id, is_active, role, team_id) WHERE is_active;
CREATE INDEX team_members_user ON team_members (user_id, team_id);
CREATE INDEX team_members_starts_at ON team_members (starts_at) WHERE starts_at IS NOT NULL;
CREATE INDEX team_members_expires_at ON team_members (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE projects (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT NOT NULL,
    owner_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    team_id    TEXT COLLATE "C" REFERENCES teams (id),
    visibility TEXT NOT NULL DEFAULT 'private' CHECK (visibility IN ('private', 'team', 'public')),
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX projects_visibility_authorization ON projects (visibility, owner_id, created_at DESC);
CREATE INDEX projects_owner ON projects (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX projects_team ON projects (team_id, id) WHERE deleted_at IS NULL;
-- Public projects in id order (every user's `resources` listing reads them); SQLite finds them through
-- projects_visibility_authorization, PostgreSQL orders by id only through an index that holds it first.
CREATE INDEX projects_public ON projects (id) WHERE visibility = 'public' AND deleted_at IS NULL;

CREATE TABLE generations (
    id         TEXT COLLATE "C" PRIMARY KEY,
    owner_id   TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    project_id TEXT COLLATE "C" REFERENCES projects (id),
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'completed', 'failed')),
    media_key  TEXT,
    created_at TEXT NOT NULL,
    deleted_at TEXT
);
CREATE INDEX generations_authorization ON generations (owner_id, project_id, status, created_at DESC) WHERE deleted_at IS NULL;
CREATE INDEX generations_owner ON generations (owner_id, id) WHERE deleted_at IS NULL;
CREATE INDEX generations_project ON generations (project_id, id) WHERE deleted_at IS NULL;

-- Role grants are data, not code (SPEC section 2).
CREATE TABLE role_grants (
    role          TEXT NOT NULL,
    resource_type TEXT NOT NULL,
    action        TEXT NOT NULL,
    PRIMARY KEY (role, resource_type, action)
);
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

CREATE TABLE api_keys (
    id           TEXT COLLATE "C" PRIMARY KEY,
    name         TEXT NOT NULL,
    key_hash     BYTEA NOT NULL UNIQUE,
    -- Space-separated: 'authz' (check endpoints), 'admin' (everything).
    scopes       TEXT NOT NULL DEFAULT 'authz',
    created_at   TEXT NOT NULL,
    -- Unix milliseconds; NULL for a key that does not expire.
    expires_at   BIGINT,
    source       TEXT NOT NULL DEFAULT 'api',
    last_used_at TEXT
);

CREATE TABLE user_tokens (
    token_hash BYTEA PRIMARY KEY,
    user_id    TEXT COLLATE "C" NOT NULL REFERENCES users (id),
    created_at TEXT NOT NULL,
    -- Unix seconds.
    expires_at BIGINT NOT NULL
);
CREATE INDEX user_tokens_user ON user_tokens (user_id);
CREATE INDEX user_tokens_expiry ON user_tokens (expires_at);

-- The revision at which each dependency (user:<id>, team:<id>, project:<id>, epoch) last moved.
CREATE TABLE versions (
    key     TEXT COLLATE "C" PRIMARY KEY,
    version BIGINT NOT NULL
);

-- The change log (SPEC 8.2): a revision's time, actor and request id once, each change in a narrow row.
CREATE TABLE change_revisions (
    revision   BIGINT PRIMARY KEY,
    at         TEXT NOT NULL,
    actor_kind TEXT NOT NULL CHECK (actor_kind IN ('api_key', 'user', 'cli', 'system')),
    actor_id   TEXT,
    request_id TEXT
);

CREATE TABLE changes (
    revision  BIGINT NOT NULL,
    seq       BIGINT NOT NULL,
    entity    TEXT NOT NULL CHECK (entity IN ('user', 'team', 'member', 'project', 'generation', 'api_key')),
    entity_id TEXT COLLATE "C" NOT NULL,
    op        TEXT NOT NULL CHECK (op IN ('create', 'update', 'delete', 'expire', 'activate')),
    before    TEXT,
    after     TEXT,
    PRIMARY KEY (revision, seq)
);
CREATE INDEX changes_by_entity_id ON changes (entity_id, revision, seq);

CREATE TABLE change_horizon (
    id       INTEGER PRIMARY KEY CHECK (id = 1),
    revision BIGINT NOT NULL
);
INSERT INTO change_horizon (id, revision) VALUES (1, 0);

CREATE TABLE time_bound_sweep (
    id          INTEGER PRIMARY KEY CHECK (id = 1),
    swept_until BIGINT NOT NULL
);
INSERT INTO time_bound_sweep (id, swept_until) VALUES (1, (extract(epoch FROM clock_timestamp()) * 1000)::BIGINT);
