-- +goose Up
-- hoso's own availability (Bình Tân 04/2013/QĐ-UBND art. 14.7; package
-- processes/outage, docs/operations.md "Outages"). Every process reports
-- each function it provides (api, projections, sequencer, sync) every few
-- seconds. A report that continues the process's current stretch moves its
-- last_seen forward in place; a new row starts only when the state changes,
-- the process restarts, or a report came too late to continue the stretch
-- (a gap, which stays a gap). Growth is one row per stretch, not per
-- heartbeat: the history compacts itself as it is written.
CREATE TABLE health_intervals (
    id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    function  text        NOT NULL,
    instance  text        NOT NULL,   -- host/pid/start of the reporting process
    state     text        NOT NULL CHECK (state IN ('up', 'down')),
    since     timestamptz NOT NULL,
    last_seen timestamptz NOT NULL CHECK (last_seen >= since),
    detail    text        NOT NULL DEFAULT ''  -- why down: the probe's error, "database unreachable: …"
);
CREATE INDEX health_intervals_by_function ON health_intervals (function, since);

-- The e-mails of outage notices (system.outage_notified.v1), one per org
-- and notice: operational state, the notice itself is the event. A row is
-- written before the first attempt and marked sent after the server took
-- the message, so a restarted detector sends what is left and nothing twice
-- (but a crash between the server's acceptance and the mark sends again).
CREATE TABLE outage_mail (
    outage_id  uuid        NOT NULL,
    org_id     uuid        NOT NULL,
    address    text        NOT NULL,
    attempts   integer     NOT NULL DEFAULT 0,
    last_error text,
    sent_at    timestamptz,
    PRIMARY KEY (outage_id, org_id)
);
CREATE INDEX outage_mail_unsent ON outage_mail (outage_id) WHERE sent_at IS NULL;

-- +goose StatementBegin
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'hoso_app') THEN
        GRANT SELECT, INSERT, UPDATE ON health_intervals, outage_mail TO hoso_app;
    END IF;
END $$;
-- +goose StatementEnd

-- +goose Down
DROP TABLE outage_mail;
DROP TABLE health_intervals;
