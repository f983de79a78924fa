-- wrk pacing: each connection waits PACE_MS (default 20) after every response before its next request, so
-- c connections offer about c * 1000 / (PACE_MS + latency) requests per second. The achieved rate is what
-- wrk reports.
local pace = tonumber(os.getenv("PACE_MS") or "20")

function delay()
  return pace
end
