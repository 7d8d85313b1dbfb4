-- The media signing keys (SPEC 8.4: any node verifies any URL signed by any node), shared by every node instead of
-- each node's `<data-dir>/signing-keys` file. Frozen once shipped.
--
-- Secrets are stored as the file stores them, base64url TEXT: they are HMAC keys, which a node must read back to sign
-- and verify, so they cannot be hashed. Whoever can read this table can mint media URLs; grant it like the file's 0600.

-- Every key ever made, retired ones included, in the order they were added.
CREATE TABLE signing_keys (
    position   BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kid        TEXT COLLATE "C" NOT NULL UNIQUE,
    secret     TEXT NOT NULL,
    created_at TEXT NOT NULL,
    retired    BOOLEAN NOT NULL DEFAULT FALSE
);

-- One row: which key signs, and a version every rotation and retirement advances. Writers lock this row (FOR UPDATE),
-- so nodes rotating or retiring at once run one after the other; nodes poll `version` to notice a change. `active` is
-- NULL only until the first node to start creates the first key.
CREATE TABLE signing_key_state (
    id      INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL,
    active  TEXT COLLATE "C" REFERENCES signing_keys (kid)
);
INSERT INTO signing_key_state (id, version, active) VALUES (1, 0, NULL);
