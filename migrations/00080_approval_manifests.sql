-- +goose Up
-- The bytes of the approval manifests served to approvers, content-addressed
-- by their SHA-256 (issue 15). The approval.manifest_served.v2 event keeps
-- the digest, size, tree size and item count; the bytes live here, because
-- a month-end manifest (5,000 dossiers: about 6 MB) is far above the 1 MiB an
-- event may hold. The row is written BEFORE the event is appended, so an
-- acknowledged event never names missing bytes; a row whose append then
-- failed is an orphan, harmless: nothing names it, and serving the same
-- manifest again finds it. Like the ledger, rows are only ever inserted;
-- readers check the bytes against the digest (and `hoso verify` checks
-- every served manifest's), so an edited row is found, never trusted.
-- It is kept in PostgreSQL whichever store holds the events, like the
-- Merkle log.
CREATE TABLE approval_manifests (
    sha256    text        PRIMARY KEY CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    size      bigint      NOT NULL CHECK (size >= 0),
    content   bytea       NOT NULL,
    stored_at timestamptz NOT NULL DEFAULT now()
);

-- +goose StatementBegin
CREATE FUNCTION approval_manifests_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER approval_manifests_append_only
    BEFORE UPDATE OR DELETE ON approval_manifests
    FOR EACH STATEMENT EXECUTE FUNCTION approval_manifests_append_only();
CREATE TRIGGER approval_manifests_no_truncate
    BEFORE TRUNCATE ON approval_manifests
    FOR EACH STATEMENT EXECUTE FUNCTION approval_manifests_append_only();

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT ON approval_manifests TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE approval_manifests;
DROP FUNCTION approval_manifests_append_only();
