-- check-uniform: 100,000 distinct checks over the seeded dataset, each request one of them chosen uniformly at random
-- (a wide working set: every check is answered from the caches once it has been asked, but no small set is hot).
-- Usage: wrk -s bench/check-uniform.lua -H "Authorization: Bearer $KEY" http://127.0.0.1:8080/api/v1/authz/check
-- Environment: USERS, GENERATIONS (dataset sizes; defaults 100000 / 1000000), DISTINCT (default 100000).
local users = tonumber(os.getenv("USERS") or "100000")
local generations = tonumber(os.getenv("GENERATIONS") or "1000000")
local distinct = tonumber(os.getenv("DISTINCT") or "100000")
local actions = {"read", "update", "delete", "download"}
-- The same checks in every thread and every run (seeded); which one a request sends is random per thread.
local bodies = {}
math.randomseed(4242)
for i = 1, distinct do
  bodies[i] = string.format('{"user_id":"u%d","action":"%s","resource_type":"generation","resource_id":"g%d"}',
    math.random(0, users - 1), actions[math.random(1, 4)], math.random(0, generations - 1))
end
-- Requests are formatted once, at start (formatting per request would cost the load generator the CPU the server
-- shares with it on a 2-core machine).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local requests = {}
init = function(args)
  for i = 1, distinct do requests[i] = wrk.format(nil, nil, nil, bodies[i]) end
  -- A seed of this thread's own: its Lua state's address tells two threads started in the same second apart.
  math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 1000003)
end
request = function()
  return requests[math.random(1, distinct)]
end
-- The RESULT line at the end of the run: bench/result.lua, beside this script.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
