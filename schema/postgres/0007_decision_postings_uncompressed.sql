-- The decision log's postings keys stored uncompressed (docs/scaling.md, "The decision log on PostgreSQL"). The
-- postings rows of a resource type or an outcome list every entry of their batch: tens of thousands of keys, hundreds
-- of kilobytes a row, which PostgreSQL compressed with pglz before moving them out of line. Compressing them took two
-- thirds of the time a batch's postings took to insert, for a quarter of their size (a batch of 40,000 entries:
-- 78–110 ms and 1.2 MB compressed, 28–30 ms and 1.6 MB not). Rows already stored keep their form; both read the same.
ALTER TABLE decision_postings ALTER COLUMN keys SET STORAGE EXTERNAL;
