-- +goose Up
-- Login failure counters (api/auth.LoginThrottle), shared by every `hoso
-- serve` process on the database and kept across restarts. One row per
-- counter: a (login name, client address) pair, an address, a login name.
-- The key is the SHA-256 of the scope and its parts, so the table holds no
-- names and no addresses in clear (a name field sometimes receives a
-- password typed in the wrong box). Operational state, not history: rows
-- older than a day count for nothing and are deleted now and then.
CREATE TABLE login_throttle (
    key_sha256      bytea       PRIMARY KEY CHECK (length(key_sha256) = 32),
    scope           text        NOT NULL CHECK (scope IN ('name_addr', 'addr', 'name')),
    failures        integer     NOT NULL CHECK (failures >= 0),
    last_failure_at timestamptz NOT NULL
);
CREATE INDEX login_throttle_by_age ON login_throttle (last_failure_at);

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT, UPDATE, DELETE ON login_throttle TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE login_throttle;
