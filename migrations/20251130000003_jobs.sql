-- Operator actions carried out by the service that owns the data: the projector rebuilds the projections
-- (`replay` from the event store, `replay_from_kafka` from offset 0), the scorer re-scores history
-- (`rescore`). The CLI and the admin API add a row and read its progress; a service claims it
-- (FOR UPDATE SKIP LOCKED), reports progress with a heartbeat, and finishes it. A running job whose heartbeat
-- stopped (its service died) is claimed again: every job kind is idempotent.
CREATE TABLE jobs (
    job_id       uuid        PRIMARY KEY,
    kind         text        NOT NULL CHECK (kind IN ('replay', 'replay_from_kafka', 'rescore')),
    params       jsonb       NOT NULL DEFAULT '{}',
    state        text        NOT NULL DEFAULT 'queued' CHECK (state IN ('queued', 'running', 'done', 'failed')),
    requested_by text        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    started_at   timestamptz,
    heartbeat_at timestamptz,
    finished_at  timestamptz,
    claimed_by   text,
    progress     jsonb       NOT NULL DEFAULT '{}',
    outcome      text
);
CREATE INDEX jobs_open ON jobs (kind, created_at) WHERE state IN ('queued', 'running');
GRANT SELECT, INSERT ON jobs TO shockwave_api;

-- When a dead letter's original was sent back to its topic (`shockwave dead-letters republish`).
ALTER TABLE dead_letters ADD COLUMN republished_at timestamptz;
