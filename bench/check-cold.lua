-- check-cold: every request a fresh random user, action and generation (a cold, uncacheable workload: nearly no check repeats).
-- Usage: wrk -s bench/check-cold.lua -H "Authorization: Bearer $KEY" http://127.0.0.1:8080/api/v1/authz/check
local users = tonumber(os.getenv("USERS") or "100000")
local generations = tonumber(os.getenv("GENERATIONS") or "1000000")
local actions = {"read", "update", "delete", "download"}
-- Every request is a fresh random check, so nearly none repeats: formatting each one costs the load generator
-- CPU that the server then lacks on a 2-core machine (check-hot formats its 1,000 once, at start).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
init = function(args)
  math.randomseed(os.time() * 1000 + (args[1] and tonumber(args[1]) or 0) + math.floor(os.clock() * 1e6))
end
request = function()
  local body = string.format('{"user_id":"u%d","action":"%s","resource_type":"generation","resource_id":"g%d"}',
    math.random(0, users - 1), actions[math.random(1, 4)], math.random(0, generations - 1))
  return wrk.format(nil, nil, nil, body)
end
-- The RESULT line at the end of the run: bench/result.lua, beside this script.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
