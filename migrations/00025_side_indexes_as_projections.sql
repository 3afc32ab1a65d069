-- +goose Up
-- Which dossiers cite a scan, and which dossier a transfer is, are now
-- projections (projections/attachments, projections/transfers) rebuilt from
-- the log: the API wrote these rows after appending the event, and a crash
-- between the two lost them. The projections create views of the same names
-- (their tables are per generation), so the old tables go. Their rows were
-- derived from events the projections read again; nothing is lost.
DROP TABLE attachment_dossiers;
DROP TABLE transfer_dossiers;

-- +goose Down
CREATE TABLE attachment_dossiers (
    sha256     text NOT NULL REFERENCES attachments (sha256),
    dossier_id uuid NOT NULL,
    PRIMARY KEY (sha256, dossier_id)
);
CREATE TABLE transfer_dossiers (
    transfer_id uuid PRIMARY KEY,
    dossier_id  uuid NOT NULL
);
