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
-- The RESULT line at the end of the run: bench/result.lua, beside this script.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
