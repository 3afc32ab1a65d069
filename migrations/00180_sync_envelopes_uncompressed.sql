-- +goose Up
-- A kept envelope (00160) lives from its package's first attempt to its
-- answer: milliseconds, normally. PostgreSQL compressed each one on the
-- way in (pglz, tens of kilobytes a package), the largest single cost of
-- the delivery in the server (docs/benchmarks.md, "Delivery: the
-- server's share"), to save disk that the row gives back at once. Stored
-- as it is, out of line.
ALTER TABLE sync_envelopes ALTER COLUMN envelope SET STORAGE EXTERNAL;

-- +goose Down
ALTER TABLE sync_envelopes ALTER COLUMN envelope SET STORAGE EXTENDED;
