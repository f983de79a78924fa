SELECT day, simple_return, log_return,
       NULL::float8 AS benchmark_return, NULL::float8 AS market_adjusted_return,
       NULL::float8 AS abnormal_return, NULL::float8 AS beta
FROM instrument_returns
WHERE instrument = $1 AND day BETWEEN $2 AND $3 AND $4::text IS NOT NULL
ORDER BY day
