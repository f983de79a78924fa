-- A basket trades on the days its members do; its first day (no return yet) is kept for the news mapping.
SELECT d.day, max(d.closes_at) AS closes_at, b.simple_return
FROM daily_returns d
JOIN basket_members m ON m.ticker = d.ticker AND m.basket = $1
LEFT JOIN basket_returns b ON b.basket = $1 AND b.day = d.day
GROUP BY d.day, b.simple_return
ORDER BY d.day
