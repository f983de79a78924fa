#!/usr/bin/env bash
# /v1/sentiment over two years of minute data: generates, once, a database of its own (shockwave_bench_sentiment)
# holding one scored ai_efficiency article per minute from 2023-01-01 to 2024-12-31 (1,051,200 articles) and as
# many about three other topics, then runs the API with its response cache off and measures with wrk
# (BENCH_DURATION each, default 15 s), one client alone and then 8 connections at once, the three bucket sizes
# over their widest ranges: 7 days of minutes, 90 days of hours and two years of days. The aim: p99 under 50 ms
# on two cores.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
bash deploy/local/stack.sh up >/dev/null  # Postgres (and a broker, unused here)
server="${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/shockwave}"
server="${server%/*}"
psql "$server/postgres" -Atqc "select 1 from pg_database where datname = 'shockwave_bench_sentiment'" | grep -q 1 ||
  psql "$server/postgres" -qc "create database shockwave_bench_sentiment"
db="$server/shockwave_bench_sentiment"
cargo build --release --quiet -p shockwave-api -p shockwave-cli
target/release/shockwave --database-url "$db" migrate >/dev/null
have="$(psql "$db" -Atqc "select count(*) from article_subjects where subject = 'ai_efficiency'")"
if [ "$have" -lt 1051200 ]; then
  echo "[bench] generating two years of minute data (a few minutes, once)" >&2
  psql "$db" -q <<'SQL'
TRUNCATE article_subjects, article_scores, articles, active_model;
DELETE FROM event_store WHERE source = 'bench:sentiment';
INSERT INTO active_model (model_version) VALUES ('2');
CREATE TEMP TABLE minutes AS
SELECT n, timestamptz '2023-01-01 00:00:00+00' + n * interval '1 minute' AS at,
       md5('bench-article-' || n)::uuid AS article_id,
       sin(n * 0.001) * 0.6 + cos(n * 0.37) * 0.3 AS score
FROM generate_series(0, 1051199) AS n;
INSERT INTO event_store (event_id, event_type, schema_version, source, event_key, occurred_at, observed_at, payload,
                         topic, kafka_partition, kafka_offset)
SELECT article_id, 'ArticlePublished', 1, 'bench:sentiment', article_id::text, at, at, '{}'::jsonb,
       'bench.articles', 0, n FROM minutes;
INSERT INTO articles (article_id, canonical_url, title, body, language, feed_id, source_name, topic_hints,
                      published_at, published_at_estimated)
SELECT article_id, 'https://bench.example/' || n, 'Bench article ' || n, '', 'en', 'bench', 'Bench', '{}', at, false
FROM minutes;
INSERT INTO article_scores (article_id, model_version, model_name, model_sha256, label, p_negative, p_neutral,
                            p_positive, score, chunks, scored_at, event_id)
SELECT article_id, '2', 'bench', 'bench',
       CASE WHEN score > 0.3 THEN 'positive' WHEN score < -0.3 THEN 'negative' ELSE 'neutral' END,
       greatest(-score, 0), 1 - abs(score), greatest(score, 0), score, '[]'::jsonb, at, article_id
FROM minutes;
INSERT INTO article_subjects (article_id, model_version, subject_kind, subject, weight, reason)
SELECT article_id, '2', 'topic', t.topic, 0.9, 'bench'
FROM minutes CROSS JOIN (VALUES ('ai_efficiency'), ('ai_capex'), ('ai_demand'), ('export_controls')) AS t(topic)
WHERE t.topic = 'ai_efficiency' OR n % 4 = (CASE t.topic WHEN 'ai_capex' THEN 1 WHEN 'ai_demand' THEN 2 ELSE 3 END);
SQL
  psql "$db" -qc "VACUUM ANALYZE"  # what autovacuum does to a live database: index-only scans
fi
echo "[bench] $(psql "$db" -Atqc "select count(*) from articles") articles, $(psql "$db" -Atqc "select count(*) from article_subjects where subject = 'ai_efficiency'") about ai_efficiency" >&2
port=18181
SHOCKWAVE_DATABASE_URL="$db" SHOCKWAVE_API_ADDR="127.0.0.1:$port" SHOCKWAVE_API_CACHE_MS=0 SHOCKWAVE_ADMIN_ADDR=127.0.0.1:0 \
  target/release/api >/tmp/bench-sentiment-api.log 2>&1 &
api=$!
trap 'kill $api 2>/dev/null || true' EXIT
for _ in $(seq 1 50); do curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.2; done
base="http://127.0.0.1:$port/v1/sentiment?topic=ai_efficiency"
DURATION="${BENCH_DURATION:-15s}"
printf '%-32s %6s %10s %10s %10s %8s %9s\n' query clients "req/s" p50 p99 buckets bytes
for q in "bucket=minute&from=2024-06-01&to=2024-06-08" "bucket=hour&from=2024-06-01&to=2024-08-30" \
         "bucket=day&from=2023-01-01&to=2024-12-31"; do
  curl -fsS "$base&$q" -o /tmp/bench-sentiment-answer.json
  buckets="$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["buckets"]))' /tmp/bench-sentiment-answer.json)"
  bytes="$(wc -c </tmp/bench-sentiment-answer.json)"
  for clients in 1 8; do
    read -r rate p50 p99 < <(wrk -t"$((clients < 2 ? 1 : 2))" -c"$clients" -d"$DURATION" --timeout 60s --latency "$base&$q" |
      awk '/Requests\/sec/ {rate=$2} /^ +50%/ {p50=$2} /^ +99%/ {p99=$2} END {print rate, p50, p99}')
    printf '%-32s %6s %10s %10s %10s %8s %9s\n' "${q%%&*} ${q#*from=}" "$clients" "$rate" "$p50" "$p99" "$buckets" "$bytes"
  done
done
