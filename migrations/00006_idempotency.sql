-- +goose Up
-- Idempotency keys: the first response to a POST sent with an
-- Idempotency-Key, so a client that retries after a lost answer gets that
-- answer instead of running the command twice. Keys are scoped by account
-- (two clients cannot collide or read each other's responses). A row whose
-- completed_at is NULL is a request in flight; the API takes it over once it
-- is older than the request timeout (its process died). Rows are kept a day;
-- older ones are overwritten by a new use of the key and may be deleted.
-- Operational state, not history: it is not part of the ledger.
CREATE TABLE idempotency_keys (
    account_id     uuid        NOT NULL,
    key            text        NOT NULL CHECK (length(key) BETWEEN 1 AND 255),
    request_sha256 bytea       NOT NULL CHECK (length(request_sha256) = 32),
    method         text        NOT NULL,
    route          text        NOT NULL,
    created_at     timestamptz NOT NULL,
    completed_at   timestamptz,
    status         integer,
    headers        jsonb,
    body           bytea,
    PRIMARY KEY (account_id, key)
);
CREATE INDEX idempotency_keys_by_age ON idempotency_keys (created_at);

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON idempotency_keys TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE idempotency_keys;
