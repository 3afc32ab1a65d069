-- +goose Up
-- ID tokens that started a session by single sign-on (POST /auth/oidc),
-- so that each starts one session at most: a token copied from a log or a
-- browser's history, with its nonce, is refused the second time. One row
-- per token, by the SHA-256 of the token as sent, never the token; kept
-- until the token expires (after that the verification refuses it anyway),
-- then deleted now and then. Operational state, not history.
CREATE TABLE oidc_id_tokens_used (
    token_sha256 bytea       PRIMARY KEY CHECK (length(token_sha256) = 32),
    expires_at   timestamptz NOT NULL
);
CREATE INDEX oidc_id_tokens_used_by_expiry ON oidc_id_tokens_used (expires_at);

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT, DELETE ON oidc_id_tokens_used TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE oidc_id_tokens_used;
