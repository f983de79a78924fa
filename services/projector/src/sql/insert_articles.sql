INSERT INTO articles (article_id, canonical_url, title, body, language, feed_id, source_name, topic_hints, published_at, published_at_estimated)
SELECT a.article_id, a.canonical_url, a.title, a.body, a.language, a.feed_id, a.source_name,
       ARRAY(SELECT jsonb_array_elements_text(a.topic_hints::jsonb)), a.published_at, a.estimated
FROM UNNEST($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::timestamptz[], $10::bool[])
    AS a(article_id, canonical_url, title, body, language, feed_id, source_name, topic_hints, published_at, estimated)
ON CONFLICT (article_id) DO NOTHING
