-- Price bars per instrument and interval, one row per bar start.
CREATE TABLE price_bars (
    ticker       text             NOT NULL,
    bar_interval text             NOT NULL,
    period_start timestamptz      NOT NULL,
    open         double precision NOT NULL,
    high         double precision NOT NULL,
    low          double precision NOT NULL,
    close        double precision NOT NULL,
    volume       bigint,
    event_id     uuid             NOT NULL REFERENCES event_store (event_id),
    PRIMARY KEY (ticker, bar_interval, period_start)
);
