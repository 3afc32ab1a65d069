-- +goose Up
-- The data keys of envelope encryption (ledger/seal, docs/privacy.md): one
-- AES-256 key per dossier (scope: its stream id), stored only wrapped by the
-- key-encryption key (HOSO_KEK or an HSM), which never enters the database.
-- The events hold ciphertext sealed under these keys; rotating the KEK
-- (`hoso keys rotate`) rewrites wrapped and kek_id here and never an event.
-- Rows are never deleted: records are permanent, so no crypto-shredding.
CREATE TABLE data_keys (
    scope        text        PRIMARY KEY,
    kek_id       text        NOT NULL,
    wrapped      bytea       NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    rewrapped_at timestamptz
);
CREATE INDEX data_keys_by_kek ON data_keys (kek_id);

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT, UPDATE ON data_keys TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE data_keys;
