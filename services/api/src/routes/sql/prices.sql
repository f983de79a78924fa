SELECT period_start, open, high, low, close, volume
FROM price_bars
WHERE ticker = $1 AND bar_interval = $2 AND period_start >= $3 AND period_start <= $4
ORDER BY period_start
