-- +goose Up
-- One row per (projection, generation): the checkpoint a projection commits in
-- the same transaction as its writes, and the status operators read. Every
-- physical table of a read model carries its generation as a suffix
-- (dossiers_g3); readers query a view of the stable name (dossiers) that the
-- runner re-points when a rebuilt generation has caught up. Names are
-- unqualified so the current search_path decides the schema.
CREATE TABLE projection_checkpoints (
    projection          text        NOT NULL CHECK (projection ~ '^[a-z][a-z0-9_]{0,39}$'),
    generation          integer     NOT NULL CHECK (generation > 0),
    version             integer     NOT NULL,   -- the projection's schema version this generation was built with
    live                boolean     NOT NULL DEFAULT false, -- the views point at this generation
    state               text        NOT NULL CHECK (state IN ('running', 'caught_up', 'rebuilding', 'failed', 'retired')),
    tables              text[]      NOT NULL,   -- physical tables, dropped with the generation
    position            text        NOT NULL,   -- eventstore.Position.String() of the last applied event
    events_applied      bigint      NOT NULL DEFAULT 0,
    last_event_id       uuid,
    last_event_type     text,
    last_recorded_at    timestamptz,            -- recorded_at of the last applied event (time lag)
    error               text,                   -- set while failed
    failed_event_id     uuid,
    failed_position     text,
    failed_event_type   text,
    failed_at           timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (projection, generation)
);
-- At most one generation serves readers.
CREATE UNIQUE INDEX projection_checkpoints_one_live ON projection_checkpoints (projection) WHERE live;

-- Checkpoints of the bridges that forward the log to watermill publishers
-- (integrations). Delivery is at least once: the position is committed after
-- the broker accepted the messages.
CREATE TABLE publish_checkpoints (
    name        text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    position    text        NOT NULL,
    published   bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- The runner connects as the schema owner (it creates and drops generation
-- tables); the service role only reads the status and the read models' views
-- (the runner grants SELECT on each view it creates).
-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT ON projection_checkpoints, publish_checkpoints TO hoso_app;
    END IF;
END;
$$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE publish_checkpoints;
DROP TABLE projection_checkpoints;
