-- +goose Up
-- The purpose of a read outside personnel work (Decree 27/2026, Law
-- 91/2025/QH15; api/purpose.go, docs/privacy.md "Purpose and consent"):
-- the purpose stated (a policy.Purpose: inspection, court, …), the
-- reference of the act behind it (an inspection decision's number), and the
-- event that recorded the person's consent the read relied on, when the
-- policy asks for one. Rows written before keep '' and NULL: those reads
-- stated no purpose under these rules.
ALTER TABLE dossier_reads
    ADD COLUMN purpose_code      text NOT NULL DEFAULT '',
    ADD COLUMN purpose_reference text NOT NULL DEFAULT '',
    ADD COLUMN consent_event_id  uuid;
CREATE INDEX dossier_reads_by_purpose ON dossier_reads (purpose_code, read_at) WHERE purpose_code <> '';

-- +goose Down
DROP INDEX dossier_reads_by_purpose;
ALTER TABLE dossier_reads DROP COLUMN purpose_code, DROP COLUMN purpose_reference, DROP COLUMN consent_event_id;
