-- +goose Up
-- Signed checkpoints of the Merkle log (package eventstore/checkpoint): the
-- tree's size and root signed as a C2SP signed note, taken at every approval
-- and daily. The note is the evidence; size and root are copies for queries.
-- An auditor who keeps a note outside the database can later prove that the
-- log still extends it (hoso verify --checkpoint): rows here only make the
-- notes easy to hand out, they are not trusted by the check.
CREATE TABLE checkpoints (
    id         bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tree_size  bigint      NOT NULL CHECK (tree_size >= 0),
    root       bytea       NOT NULL CHECK (length(root) = 32),
    note       text        NOT NULL,
    reason     text        NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX checkpoints_by_size ON checkpoints (tree_size);

-- Append-only, like the log they sign.
CREATE TRIGGER checkpoints_append_only
    BEFORE UPDATE OR DELETE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION merkle_append_only();
CREATE TRIGGER checkpoints_no_truncate
    BEFORE TRUNCATE ON checkpoints
    FOR EACH STATEMENT EXECUTE FUNCTION merkle_append_only();

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT ON checkpoints TO hoso_app;
    END IF;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE checkpoints;
