-- +goose Up
-- Bulk imports of an org's existing dossiers (issue 17, app/imports).
-- Operational state, not history: every dossier and every row is an event
-- in the ledger, marked imported from the file's SHA-256 and row. These
-- rows only say how far an import got and what was wrong with the file.
-- They hold counts, row numbers, column keys, codes, reasons and the
-- file's SHA-256 — never a cell's value (personal data stays in the
-- ledger's events).
CREATE TABLE imports (
    id            uuid        PRIMARY KEY,
    org_id        uuid        NOT NULL,
    actor_id      uuid        NOT NULL,
    file_sha256   text        NOT NULL,
    dry_run       boolean     NOT NULL,
    skip_invalid  boolean     NOT NULL,
    state         text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'invalid', 'failed')),
    phase         text        NOT NULL DEFAULT 'check' CHECK (phase IN ('check', 'write')),
    rows_done     integer     NOT NULL DEFAULT 0,
    rows_total    integer     NOT NULL DEFAULT 0,
    rows_read     integer     NOT NULL DEFAULT 0,
    invalid_rows  integer     NOT NULL DEFAULT 0,
    created       integer     NOT NULL DEFAULT 0,
    existing      integer     NOT NULL DEFAULT 0,
    events        integer     NOT NULL DEFAULT 0,
    skipped       integer     NOT NULL DEFAULT 0,
    problems      jsonb       NOT NULL DEFAULT '[]',  -- [{sheet,row,column,cell,code,reason}]
    error         text,
    started_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL,
    finished_at   timestamptz
);
CREATE INDEX imports_by_org ON imports (org_id, started_at);

-- +goose Down
DROP TABLE imports;
