-- The decision log's filters as postings rows instead of four indexes (docs/scaling.md, "The decision log on
-- PostgreSQL"). Each index took every entry at a random place in its B-tree: at 40,000 logged denies a second the
-- four cost PostgreSQL about half a core and the log fell behind. A postings row lists, for one lookup (a user, a
-- resource, a resource type, an outcome), the keys of one writer's entries with it in one batch: a hot lookup appears
-- once per batch, not once per entry. As the SQLite file's `decision_postings`, with the lookup spelled out rather
-- than hashed and the writer's origin beside its keys.
--
-- kind: 1 user id, 2 resource id, 3 resource type, 4 outcome ('allowed' or 'denied'). keys: ascending, all within
-- 8,388,608,000 (4,000 ms of decision ids, `PostgresDecisionLog.postingsSpan`) below last_key, so a reader going
-- newest first knows a key is final once a row's last_key is below it.
CREATE TABLE decision_postings (
    kind     SMALLINT NOT NULL,
    id       TEXT COLLATE "C" NOT NULL,
    last_key BIGINT NOT NULL,
    origin   BIGINT NOT NULL,
    keys     BIGINT[] NOT NULL,
    PRIMARY KEY (kind, id, last_key, origin)
);
-- Retention deletes the rows whose last key is past it.
CREATE INDEX decision_postings_by_last_key ON decision_postings (last_key);

-- The entries already logged, grouped by lookup, writer and 4-second slice of keys.
INSERT INTO decision_postings (kind, id, last_key, origin, keys)
SELECT kind, id, max(seq), origin, array_agg(seq ORDER BY seq)
FROM (
    SELECT 1::smallint AS kind, user_id AS id, seq, origin FROM decisions WHERE user_id IS NOT NULL
    UNION ALL SELECT 2::smallint, resource_id, seq, origin FROM decisions WHERE resource_id IS NOT NULL
    UNION ALL SELECT 3::smallint, resource_type, seq, origin FROM decisions
    UNION ALL SELECT 4::smallint, CASE WHEN allowed THEN 'allowed' ELSE 'denied' END, seq, origin FROM decisions
) AS lookups
GROUP BY kind, id, origin, seq / 8388608000;

DROP INDEX decisions_by_user, decisions_by_resource, decisions_by_type, decisions_by_outcome;
