INSERT INTO price_bars (ticker, bar_interval, period_start, open, high, low, close, volume, event_id, closes_at)
SELECT ticker, bar_interval, period_start, open, high, low, close, volume, event_id, closes_at
FROM UNNEST($1::text[], $2::text[], $3::timestamptz[], $4::float8[], $5::float8[], $6::float8[], $7::float8[], $8::bigint[], $9::uuid[], $10::timestamptz[])
    AS b(ticker, bar_interval, period_start, open, high, low, close, volume, event_id, closes_at)
ON CONFLICT (ticker, bar_interval, period_start)
DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low, close = EXCLUDED.close, volume = EXCLUDED.volume,
    event_id = EXCLUDED.event_id, closes_at = EXCLUDED.closes_at
WHERE EXCLUDED.event_id > price_bars.event_id
