-- wrk script for benchmarks/web_load.py: rotate through WRK_PATHS ("|"-separated) with the
-- session cookie in WRK_COOKIE, and print one JSON line of figures at the end.
local paths = {}
for path in string.gmatch(os.getenv("WRK_PATHS"), "[^|]+") do
  paths[#paths + 1] = path
end
local cookie = os.getenv("WRK_COOKIE") or ""
local threads = {}

function setup(thread)
  thread:set("offset", #threads)
  table.insert(threads, thread)
end

function init(args)
  sent, busy, failed = offset, 0, 0
end

function request()
  sent = sent + 1
  local path = paths[(sent % #paths) + 1]
  local accept = "text/html"
  if path:sub(1, 5) == "/api/" or path == "/health" then
    accept = "application/json"
  end
  return wrk.format("GET", path, { ["Cookie"] = cookie, ["Accept"] = accept })
end

function response(status, headers, body)
  if status == 503 then
    busy = busy + 1
  elseif status >= 300 then
    failed = failed + 1
  end
end

function done(summary, latency, requests)
  local all_busy, all_failed = 0, 0
  for _, thread in ipairs(threads) do
    all_busy = all_busy + thread:get("busy")
    all_failed = all_failed + thread:get("failed")
  end
  local errors = summary.errors
  io.write(string.format(
    '{"requests": %d, "seconds": %f, "p50": %d, "p95": %d, "p99": %d, "max": %d, ' ..
    '"busy": %d, "failed": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), latency.max, all_busy, all_failed,
    errors.connect + errors.read + errors.write + errors.timeout))
end
