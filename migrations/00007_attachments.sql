-- +goose Up
-- Scanned documents attached to dossiers, stored content-addressed: the
-- dossier's document_attached event names the scan by its SHA-256, and the
-- bytes live here once however many dossiers cite them. Like the ledger,
-- rows are only ever inserted: a scan is evidence and is never replaced.
CREATE TABLE attachments (
    sha256      text PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    media_type  text NOT NULL,
    size        bigint NOT NULL CHECK (size >= 0),
    content     bytea NOT NULL,
    uploaded_at timestamptz NOT NULL,
    uploaded_by uuid NOT NULL
);

-- Which dossiers cite a scan: a download is served only to a caller who
-- may read one of them. A row is written once the attach event is stored.
CREATE TABLE attachment_dossiers (
    sha256     text NOT NULL REFERENCES attachments (sha256),
    dossier_id uuid NOT NULL,
    PRIMARY KEY (sha256, dossier_id)
);

-- Transfers initiated through the API, so /transfers/{id} finds its
-- dossier at once (the audit trail, a read model that may lag, answers
-- for transfers recorded by other means).
CREATE TABLE transfer_dossiers (
    transfer_id uuid PRIMARY KEY,
    dossier_id  uuid NOT NULL
);

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT ON attachments, attachment_dossiers, transfer_dossiers TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE transfer_dossiers;
DROP TABLE attachment_dossiers;
DROP TABLE attachments;
