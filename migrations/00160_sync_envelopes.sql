-- +goose Up
-- The envelope of each package as first sealed for delivery (app/nationalsync,
-- docs/sync.md "Redelivery after a crash"). A package's bytes are not
-- reproducible: its dossiers' data keys are wrapped to the receiver with
-- HPKE, whose every seal is fresh. A worker that sent a package and lost the
-- receiver's answer (its database or its process crashed before recording
-- it) must send the same bytes again, which the receiver answers with the
-- first receipt; new bytes under the same id are refused 409. So the
-- envelope is kept, committed before the attempt that announces its digest
-- (nationalsync.Sent), and reused while that digest is the stream's last.
-- Operational state, not the ledger: the package is rebuilt from the ledger
-- when no envelope is kept. The events inside are sealed as at rest, the
-- data keys wrapped to the receiver only.
CREATE TABLE sync_envelopes (
    package_id uuid        PRIMARY KEY,
    digest     text        NOT NULL,
    envelope   bytea       NOT NULL,
    kept_at    timestamptz NOT NULL
);

-- +goose Down
DROP TABLE sync_envelopes;
