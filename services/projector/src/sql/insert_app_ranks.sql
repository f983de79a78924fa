INSERT INTO app_ranks (store, country, chart, app_id, observed_at, app_name, developer, rank, event_id)
SELECT store, country, chart, app_id, observed_at, app_name, developer, rank, event_id
FROM UNNEST($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[], $6::text[], $7::text[], $8::int[], $9::uuid[])
    AS r(store, country, chart, app_id, observed_at, app_name, developer, rank, event_id)
ON CONFLICT (store, country, chart, app_id, observed_at)
DO UPDATE SET app_name = EXCLUDED.app_name, developer = EXCLUDED.developer, rank = EXCLUDED.rank, event_id = EXCLUDED.event_id
WHERE EXCLUDED.event_id > app_ranks.event_id
