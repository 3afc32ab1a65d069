-- +goose Up
-- Credentials and sessions are operational state, not history: the ledger
-- records that a password was set or reset and by whom, never the secret.
CREATE TABLE auth_credentials (
    account_id    uuid PRIMARY KEY,
    username      text NOT NULL UNIQUE,
    password_hash text NOT NULL,          -- PHC-formatted argon2id
    updated_at    timestamptz NOT NULL
);

-- One row per bearer secret (a login session or a service API key). Only the
-- SHA-256 of the secret is kept: a database leak yields no usable token.
CREATE TABLE auth_tokens (
    token_sha256        bytea PRIMARY KEY CHECK (length(token_sha256) = 32),
    kind                text NOT NULL CHECK (kind IN ('session', 'api_key')),
    account_id          uuid NOT NULL,
    label               text NOT NULL DEFAULT '',
    created_at          timestamptz NOT NULL,
    last_seen_at        timestamptz NOT NULL,
    idle_timeout        interval,              -- NULL: no idle expiry (API keys)
    absolute_expires_at timestamptz,           -- NULL: until revoked (API keys)
    revoked_at          timestamptz,
    revoked_reason      text
);
CREATE INDEX auth_tokens_live_by_account ON auth_tokens (account_id) WHERE revoked_at IS NULL;

-- +goose Down
DROP TABLE auth_tokens;
DROP TABLE auth_credentials;
