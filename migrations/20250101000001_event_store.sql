-- The event store: an append-only copy of every event on the log, unique on event_id, with where it was read.
CREATE TABLE event_store (
    event_id        uuid        PRIMARY KEY,
    event_type      text        NOT NULL,
    schema_version  smallint    NOT NULL,
    source          text        NOT NULL,
    event_key       text        NOT NULL,
    occurred_at     timestamptz NOT NULL,
    observed_at     timestamptz NOT NULL,
    payload         jsonb       NOT NULL,
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    received_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX event_store_type_time ON event_store (event_type, occurred_at);
CREATE UNIQUE INDEX event_store_position ON event_store (topic, kafka_partition, kafka_offset);

-- Consumer positions, written in the same transaction as the data they cover.
CREATE TABLE consumer_offsets (
    consumer        text        NOT NULL,
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    next_offset     bigint      NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, topic, kafka_partition)
);

-- Everything any stage could not process, as read from the dead-letter topic.
CREATE TABLE dead_letters (
    topic           text        NOT NULL,
    kafka_partition integer     NOT NULL,
    kafka_offset    bigint      NOT NULL,
    stage           text        NOT NULL,
    reason_kind     text        NOT NULL,
    reason          text        NOT NULL,
    location        text,
    origin          jsonb,
    original        bytea       NOT NULL,
    failed_at       timestamptz NOT NULL,
    PRIMARY KEY (topic, kafka_partition, kafka_offset)
);
CREATE INDEX dead_letters_stage ON dead_letters (stage, failed_at);
