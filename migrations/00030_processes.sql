-- +goose Up
-- Long work that runs as a process beside the requests (package processes):
-- today the succession of an org that ended by merger, split or
-- dissolution with a successor. Operational state, not history: the
-- decision and every move are events in the ledger; these rows only say how
-- far the process got, so a restart resumes where it stopped and GET
-- /processes/{id} can show it.
CREATE TABLE processes (
    id          uuid        PRIMARY KEY,   -- the decision event's id
    kind        text        NOT NULL CHECK (kind IN ('succession')),
    org_id      uuid        NOT NULL,      -- the org that ended
    successors  uuid[]      NOT NULL,
    detail      text        NOT NULL,      -- merge, split, dissolution
    state       text        NOT NULL DEFAULT 'running' CHECK (state IN ('running', 'done', 'failed')),
    total       integer,                   -- NULL until the dossiers are listed
    started_at  timestamptz NOT NULL,
    updated_at  timestamptz NOT NULL,
    finished_at timestamptz
);
CREATE INDEX processes_running ON processes (started_at) WHERE state = 'running';
CREATE INDEX processes_by_org ON processes (org_id);

-- One row per dossier a process must deal with, written when the dossiers
-- are listed. outcome: pending (to do, or to retry at next_attempt_at),
-- moved, skipped (rule says why), failed (gave up after the attempts;
-- error says why).
CREATE TABLE process_steps (
    process_id      uuid        NOT NULL REFERENCES processes (id),
    dossier_id      uuid        NOT NULL,
    seq             integer     NOT NULL,   -- listing order
    outcome         text        NOT NULL DEFAULT 'pending' CHECK (outcome IN ('pending', 'moved', 'skipped', 'failed')),
    rule            text,
    attempts        integer     NOT NULL DEFAULT 0,
    error           text,
    next_attempt_at timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    PRIMARY KEY (process_id, dossier_id)
);
CREATE INDEX process_steps_due ON process_steps (process_id, next_attempt_at, seq) WHERE outcome = 'pending';

-- The watermill bridge that wrote it (projections/publish) was never wired
-- and is gone; issue 15 publishes the log its own way.
DROP TABLE IF EXISTS publish_checkpoints;

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT, UPDATE ON processes, process_steps TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE process_steps;
DROP TABLE processes;
CREATE TABLE publish_checkpoints (
    name        text        PRIMARY KEY CHECK (name ~ '^[a-z][a-z0-9_.-]{0,62}$'),
    position    text        NOT NULL,
    published   bigint      NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
