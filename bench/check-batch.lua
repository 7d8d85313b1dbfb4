-- check-batch: 100 uniform random checks per request (POST /api/v1/authz/check-batch).
-- Usage: wrk -s bench/check-batch.lua -H "Authorization: Bearer $KEY" http://127.0.0.1:8080/api/v1/authz/check-batch
local users = tonumber(os.getenv("USERS") or "100000")
local generations = tonumber(os.getenv("GENERATIONS") or "1000000")
local actions = {"read", "update", "delete", "download"}
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
request = function()
  local checks = {}
  for i = 1, 100 do
    checks[i] = string.format('{"user_id":"u%d","action":"%s","resource_type":"generation","resource_id":"g%d"}',
      math.random(0, users - 1), actions[math.random(1, 4)], math.random(0, generations - 1))
  end
  return wrk.format(nil, nil, nil, '{"checks":[' .. table.concat(checks, ",") .. ']}')
end
-- The RESULT line at the end of the run: bench/result.lua, beside this script.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
