-- POST /api/v1/users, a new user per request: the write path (with its change log) under load.
-- KEY=<admin key> wrk -t2 -c16 -d10s -s bench/write-users.lua http://127.0.0.1:8080
-- Run against a fresh data directory each time (ids restart at 1 per thread).
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

local counter = 0
local key = os.getenv("KEY")
function request()
  counter = counter + 1
  local id = "w" .. tid .. "-" .. counter
  return wrk.format("POST", "/api/v1/users", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key},
    '{"id":"' .. id .. '","email":"' .. id .. '@bench.test","display_name":"Bench ' .. id .. '"}')
end
