-- +goose Up
-- The read log: every read of a dossier through the API, and every refusal,
-- for the inspectors who ask "who looked at this file, and why". It is
-- append-only like the ledger (no UPDATE or DELETE is granted), but it is not
-- part of the hash-chained ledger: a read changes no dossier.
CREATE TABLE dossier_reads (
    read_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    read_at     timestamptz NOT NULL,
    account_id  uuid NOT NULL,
    username    text NOT NULL,
    dossier_id  uuid NOT NULL,
    method      text NOT NULL,
    route       text NOT NULL,
    query       text NOT NULL DEFAULT '',
    purpose     text NOT NULL DEFAULT '',   -- the X-Purpose header, NFC
    outcome     text NOT NULL CHECK (outcome IN ('allowed', 'refused', 'not_found')),
    request_id  text NOT NULL DEFAULT '',
    remote_addr text NOT NULL DEFAULT ''
);
CREATE INDEX dossier_reads_by_dossier ON dossier_reads (dossier_id, read_at);
CREATE INDEX dossier_reads_by_account ON dossier_reads (account_id, read_at);
CREATE INDEX dossier_reads_by_time ON dossier_reads (read_at);

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT ON dossier_reads TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE dossier_reads;
