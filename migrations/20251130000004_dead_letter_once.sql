-- A stage gives up on a Kafka record once: a second dead letter for the same stage and original record (a
-- stage that crashed after sending one and before committing its offset, or a replay from Kafka that reads
-- the poison again) is the same fact, and the projection keeps the first. Duplicates already stored are
-- folded into the earliest first.
DELETE FROM dead_letters d
USING dead_letters e
WHERE d.origin IS NOT NULL
  AND e.origin IS NOT NULL
  AND d.stage = e.stage
  AND d.origin = e.origin
  AND (e.topic, e.kafka_partition, e.kafka_offset) < (d.topic, d.kafka_partition, d.kafka_offset);

CREATE UNIQUE INDEX dead_letters_once_per_origin
    ON dead_letters (stage, (origin ->> 'topic'), ((origin ->> 'partition')::int), ((origin ->> 'offset')::bigint))
    WHERE origin IS NOT NULL;
