SELECT event_id, event_type, schema_version, source, event_key, occurred_at, observed_at, payload
FROM event_store
WHERE event_type = 'ArticlePublished' AND event_id > $1
ORDER BY event_id
LIMIT $2
