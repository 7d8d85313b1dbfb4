-- The decision log (SPEC 8.2, 8.4) in the shared database: every node's background writer inserts its batches here,
-- any node reads them (`GET /api/v1/audit/decisions`), one node at a time sweeps them (docs/scaling.md).
--
-- One row per entry, as in the SQLite file's `decisions`, keyed by the decision id: `seq` (Unix milliseconds << 21 |
-- counter) and `origin` (the deciding process, drawn from `decision_origins` when its log opens, so two processes
-- sharing this database never hold the same origin and their ids never collide). Pages are newest first:
-- `seq DESC, origin DESC`; on SQLite no two entries share a `seq`, so the order is the file's.
CREATE TABLE decisions (
    seq            BIGINT NOT NULL,
    origin         BIGINT NOT NULL,
    revision       BIGINT NOT NULL,
    caller_kind    TEXT COLLATE "C",
    caller_id      TEXT COLLATE "C",
    user_id        TEXT COLLATE "C",
    action         TEXT COLLATE "C" NOT NULL,
    resource_type  TEXT COLLATE "C" NOT NULL,
    resource_id    TEXT COLLATE "C",
    allowed        BOOLEAN NOT NULL,
    reason         TEXT COLLATE "C" NOT NULL,
    rules          TEXT NOT NULL,
    client_address TEXT,
    as_of          BIGINT,
    PRIMARY KEY (seq, origin)
);

-- One composite index per filter of the API, each ending in the page order: a filtered page is a backward range scan
-- of the most selective filter's index, the other filters checked on the rows it reads (PostgresDecisionLogTests'
-- plan test). The SQLite file's postings rows are not needed: a B-tree insert here costs far less than the writer's
-- round trip.
CREATE INDEX decisions_by_user ON decisions (user_id, seq, origin);
CREATE INDEX decisions_by_resource ON decisions (resource_id, seq, origin);
CREATE INDEX decisions_by_type ON decisions (resource_type, seq, origin);
CREATE INDEX decisions_by_outcome ON decisions (allowed, seq, origin);

-- Origins of the processes writing the log, one per opened log; wraps after 2^32 opens.
CREATE SEQUENCE decision_origins MINVALUE 0 MAXVALUE 4294967295 START 1 CYCLE;
