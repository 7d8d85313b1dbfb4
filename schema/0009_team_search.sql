-- Portcullis schema, migration 9: the console's team search.
-- Frozen once shipped: later changes go in new numbered files.

-- Live teams by name, ASCII letters folded (SQLite's lower()), so a name prefix is one index range.
CREATE INDEX teams_name_search ON teams (lower(name), id) WHERE deleted_at IS NULL;
