-- check-hot: 1,000 distinct checks over the seeded dataset, repeated (a hot, cacheable workload).
-- Usage: wrk -s bench/check-hot.lua -H "Authorization: Bearer $KEY" http://127.0.0.1:8080/api/v1/authz/check
-- Environment: USERS, GENERATIONS (dataset sizes; defaults 100000 / 1000000).
local users = tonumber(os.getenv("USERS") or "100000")
local generations = tonumber(os.getenv("GENERATIONS") or "1000000")
local actions = {"read", "update", "delete", "download"}
local bodies = {}
math.randomseed(42)
for i = 1, 1000 do
  bodies[i] = string.format('{"user_id":"u%d","action":"%s","resource_type":"generation","resource_id":"g%d"}',
    math.random(0, users - 1), actions[math.random(1, 4)], math.random(0, generations - 1))
end
-- Requests are formatted once, at start: formatting per request costs the load generator more CPU than the
-- server spends answering, on a machine where both share the cores.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local requests = {}
init = function(args)
  for i = 1, 1000 do requests[i] = wrk.format(nil, nil, nil, bodies[i]) end
end
local counter = 0
request = function()
  counter = counter + 1
  return requests[(counter % 1000) + 1]
end
-- Shared: print percentiles and errors as one parsable line at the end of a run.
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
