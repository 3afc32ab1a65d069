-- +goose Up
-- The RFC 6962 Merkle log over every event in global order (package
-- eventstore/treelog). Leaves get dense indices 0,1,2,… in the order the
-- sequencer read the events from the store's stable prefix; once written a
-- leaf never changes, so a root published or signed at size N stays provable.
--
-- stream_id and stream_version repeat the event's place in its stream so that
-- `hoso verify` can name an event that was deleted from the events table
-- (its leaf is then the only trace left of it).
CREATE TABLE merkle_leaves (
    leaf_index     bigint      PRIMARY KEY CHECK (leaf_index >= 0),
    event_id       uuid        NOT NULL UNIQUE,
    position       text        NOT NULL UNIQUE, -- eventstore.Position text: byte order is log order
    stream_id      text        NOT NULL,
    stream_version bigint      NOT NULL CHECK (stream_version >= 1),
    leaf_hash      bytea       NOT NULL CHECK (length(leaf_hash) = 32), -- SHA-256(0x00 ‖ event hash)
    sequenced_at   timestamptz NOT NULL DEFAULT now()
);

-- Interior nodes of complete perfect subtrees at levels 8, 16, 24, …: with
-- them any node hash, and so any root or proof, needs at most 128 stored
-- hashes per proof node instead of a scan of all leaves under it. They are
-- derived data (verify recomputes and compares them) but, like the leaves,
-- never change once the subtree is complete.
CREATE TABLE merkle_nodes (
    level      smallint NOT NULL CHECK (level > 0 AND level % 8 = 0),
    node_index bigint   NOT NULL CHECK (node_index >= 0),
    hash       bytea    NOT NULL CHECK (length(hash) = 32),
    PRIMARY KEY (level, node_index)
);

-- Leaves are as immutable as the events they commit to, for the same reason
-- (a rewritten leaf would let a rewritten event pass). Statement-level like
-- events_refuse_change, so an UPDATE matching no row is refused too.
-- +goose StatementBegin
CREATE FUNCTION merkle_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$;
-- +goose StatementEnd

CREATE TRIGGER merkle_leaves_append_only
    BEFORE UPDATE OR DELETE ON merkle_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION merkle_append_only();
CREATE TRIGGER merkle_leaves_no_truncate
    BEFORE TRUNCATE ON merkle_leaves
    FOR EACH STATEMENT EXECUTE FUNCTION merkle_append_only();
CREATE TRIGGER merkle_nodes_append_only
    BEFORE UPDATE OR DELETE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION merkle_append_only();
CREATE TRIGGER merkle_nodes_no_truncate
    BEFORE TRUNCATE ON merkle_nodes
    FOR EACH STATEMENT EXECUTE FUNCTION merkle_append_only();

-- Sequencing runs as the service role: read and append, nothing else.
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT ON merkle_leaves, merkle_nodes TO hoso_app;
    END IF;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE merkle_nodes;
DROP TABLE merkle_leaves;
DROP FUNCTION merkle_append_only();
