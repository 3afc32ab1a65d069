-- +goose Up
-- The ledger's global log: one row per event, never updated or deleted.
-- Every object is created unqualified, in the current schema, so tests can
-- isolate themselves with search_path and production uses its own schema.
-- docs/events-table.md is the auditors' description of this table.
CREATE TABLE events (
    -- Global order is (transaction_id, seq). seq alone is taken before
    -- commit, so transactions that commit out of order leave gaps a reader
    -- would skip; transaction ids let readers stop at the oldest transaction
    -- still running (pg_snapshot_xmin), behind which nothing can appear.
    transaction_id xid8        NOT NULL DEFAULT pg_current_xact_id(),
    seq            bigint      NOT NULL GENERATED ALWAYS AS IDENTITY,
    event_id       uuid        NOT NULL,
    stream_id      text        NOT NULL CHECK (stream_id <> ''),
    stream_version bigint      NOT NULL CHECK (stream_version >= 1),
    type           text        NOT NULL,
    -- Canonical (RFC 8785) JSON bytes exactly as hashed: bytea, not jsonb,
    -- because jsonb reorders keys and rewrites numbers, which would break
    -- every hash. The events_json view offers them as jsonb.
    data           bytea       NOT NULL,
    metadata       bytea       NOT NULL,
    -- Copies of metadata.recorded_at and metadata.effective_date for SQL
    -- filters ("as known at", "in effect on"); the metadata bytes are the
    -- hashed truth.
    recorded_at    timestamptz NOT NULL,
    effective_date date        NOT NULL,
    prev_hash      bytea       NOT NULL CHECK (length(prev_hash) = 32),
    hash           bytea       NOT NULL CHECK (length(hash) = 32),
    CONSTRAINT events_pkey PRIMARY KEY (event_id),
    CONSTRAINT events_stream_version_key UNIQUE (stream_id, stream_version)
);

-- ReadAll and subscriptions walk this index from a checkpoint.
CREATE UNIQUE INDEX events_global_order ON events (transaction_id, seq);

-- No NOTIFY trigger on purpose: PostgreSQL serializes the commits of
-- transactions that NOTIFY (a global lock held through the commit's WAL
-- flush), which cut concurrent appends roughly tenfold when tried here. The
-- store notifies channel 'hoso_events_<oid of events>' after commit instead.

-- History is fact: refuse every change to stored events, whoever asks
-- (the owner and superusers included; the hoso_app role is not even granted
-- the privileges). Statement-level, so an UPDATE matching no row is refused
-- too. restrict_violation lets clients recognise the refusal by SQLSTATE.
-- +goose StatementBegin
CREATE FUNCTION events_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'events is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation',
              HINT = 'Correct a fact by appending a correcting event.';
END;
$$;
-- +goose StatementEnd
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION events_refuse_change();

-- The auditors' view: JSON as jsonb, hashes as hex.
CREATE VIEW events_json AS
SELECT transaction_id,
       seq,
       event_id,
       stream_id,
       stream_version,
       type,
       convert_from(data, 'UTF8')::jsonb     AS data,
       convert_from(metadata, 'UTF8')::jsonb AS metadata,
       recorded_at,
       effective_date,
       encode(prev_hash, 'hex')              AS prev_hash,
       encode(hash, 'hex')                   AS hash
FROM events;

-- hoso_app is the role the service runs as (SET ROLE hoso_app after
-- connecting; see migrations.SetAppRole). Roles are cluster-wide, so it is
-- created only when missing; two migrations racing may both try, hence the
-- handler (a concurrent CREATE ROLE can surface as either error).
-- +goose StatementBegin
DO $$
BEGIN
    CREATE ROLE hoso_app NOLOGIN;
EXCEPTION
    WHEN duplicate_object OR unique_violation THEN NULL;
END;
$$;
-- +goose StatementEnd

-- Append and read, nothing else. INSERT is granted on the caller-supplied
-- columns only, so the service cannot forge transaction_id or seq (which
-- would let it place an event behind readers' checkpoints).
-- +goose StatementBegin
DO $$
BEGIN
    EXECUTE format('GRANT USAGE ON SCHEMA %I TO hoso_app', current_schema());
END;
$$;
-- +goose StatementEnd
GRANT SELECT ON events, events_json TO hoso_app;
GRANT INSERT (event_id, stream_id, stream_version, type, data, metadata,
              recorded_at, effective_date, prev_hash, hash) ON events TO hoso_app;
GRANT USAGE ON SEQUENCE events_seq_seq TO hoso_app;

-- +goose Down
-- The role is shared by every schema of the cluster and is left in place.
DROP VIEW events_json;
DROP TABLE events;
DROP FUNCTION events_refuse_change();
DROP FUNCTION events_notify();
