-- The alerter's outbox. Every shock state it raised, once: ids are stable, so a restart that rebuilds the
-- detectors from history raises nothing new. A row is published to the shocks topic, then marked.
CREATE TABLE alerts (
    event_id     uuid        PRIMARY KEY,
    shock_id     uuid        NOT NULL,
    status       text        NOT NULL CHECK (status IN ('open', 'updated', 'resolved')),
    subject_kind text        NOT NULL,
    subject      text        NOT NULL,
    occurred_at  timestamptz NOT NULL,
    event        jsonb       NOT NULL, -- the SentimentShockDetected envelope, as published
    raised_at    timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz
);
CREATE INDEX alerts_unpublished ON alerts (raised_at) WHERE published_at IS NULL;
CREATE INDEX alerts_by_shock ON alerts (shock_id, occurred_at);

-- One row per alert and receiver (a webhook URL, Alertmanager): attempts with exponential backoff until a
-- 2xx answer (delivered_at) or too many failures (failed_at; the alert then goes to the dead letters).
CREATE TABLE alert_deliveries (
    event_id        uuid        NOT NULL REFERENCES alerts (event_id),
    receiver        text        NOT NULL,
    seq             bigserial   NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    delivered_at    timestamptz,
    failed_at       timestamptz,
    last_error      text,
    PRIMARY KEY (event_id, receiver)
);
CREATE INDEX alert_deliveries_due ON alert_deliveries (receiver, next_attempt_at)
    WHERE delivered_at IS NULL AND failed_at IS NULL;
