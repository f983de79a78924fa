SELECT day, simple_return, NULL::float8 AS log_return, benchmark_return, market_adjusted_return,
       abnormal_return, beta
FROM abnormal_returns
WHERE instrument = $1 AND day BETWEEN $2 AND $3 AND benchmark = $4
ORDER BY day
