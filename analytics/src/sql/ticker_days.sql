SELECT day, closes_at, simple_return FROM daily_returns WHERE ticker = $1 ORDER BY day
