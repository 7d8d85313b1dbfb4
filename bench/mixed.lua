-- mixed: hot checks with 1 % writes that revoke and re-grant a membership, verifying that no check sent after a
-- revocation was acknowledged allows (and none sent after a grant was acknowledged denies).
-- Each thread n uses user BENCH_PREFIX-u<n>, a viewer of team BENCH_PREFIX-t<n>, and generation BENCH_PREFIX-g<n>
-- in that team's project (created by `portcullis bench`). Every request carries an X-Request-Id naming its kind and,
-- for the subject's checks, the state acknowledged when it was sent; the server echoes the id, so each response is
-- matched to its request whatever the number of connections.
-- Usage: BENCH_PREFIX=bench-fixture-mixed wrk -t2 -c64 -s bench/mixed.lua -H "Authorization: Bearer $KEY" http://127.0.0.1:8080
local users = tonumber(os.getenv("USERS") or "100000")
local generations = tonumber(os.getenv("GENERATIONS") or "1000000")
local prefix = os.getenv("BENCH_PREFIX") or "bench-fixture-mixed"
local actions = {"read", "update", "delete", "download"}
local threads = {}
local counter = 0

setup = function(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

init = function(args)
  math.randomseed(id * 7919)
  user = string.format("%s-u%d", prefix, id)
  team = string.format("%s-t%d", prefix, id)
  generation = string.format("%s-g%d", prefix, id)
  granted = true          -- the state the last acknowledged write left (the fixtures grant)
  writes_in_flight = 0    -- while one is in flight, a subject check's expected answer is undecided
  write_pending = false
  writes_sent = 0         -- a subject check concurrent with a write (one sent before its answer) may see either state
  violations = 0          -- allowed although sent after a revocation was acknowledged (must stay 0)
  denials = 0             -- denied although sent after a grant was acknowledged (a lost grant)
  subject_checks = 0
  writes = 0
  hot = {}
  for i = 1, 1000 do
    hot[i] = string.format('{"user_id":"u%d","action":"%s","resource_type":"generation","resource_id":"g%d"}',
      math.random(0, users - 1), actions[math.random(1, 4)], math.random(0, generations - 1))
  end
end

-- wrk.format uses the headers it is given instead of wrk.headers (which hold -H Authorization): copy them.
local function headers(json, request_id)
  local copy = {}
  for name, value in pairs(wrk.headers) do copy[name] = value end
  if json then copy["Content-Type"] = "application/json" end
  copy["X-Request-Id"] = request_id
  return copy
end

request = function()
  counter = counter + 1
  if counter % 100 == 0 and not write_pending then
    writes = writes + 1
    writes_sent = writes_sent + 1
    writes_in_flight = writes_in_flight + 1
    write_pending = true
    if granted then
      return wrk.format("DELETE", "/api/v1/teams/" .. team .. "/members/" .. user, headers(false, "revoke-" .. counter))
    end
    return wrk.format("PUT", "/api/v1/teams/" .. team .. "/members/" .. user, headers(true, "grant-" .. counter), '{"role":"viewer"}')
  elseif counter % 10 == 0 then
    local expect = writes_in_flight > 0 and "x" or (granted and "allow" or "deny")
    local body = string.format('{"user_id":"%s","action":"read","resource_type":"generation","resource_id":"%s"}', user, generation)
    return wrk.format("POST", "/api/v1/authz/check", headers(true, "subject-" .. expect .. "-" .. writes_sent .. "-" .. counter), body)
  end
  return wrk.format("POST", "/api/v1/authz/check", headers(true, "hot-" .. counter), hot[(counter % 1000) + 1])
end

response = function(status, headers, body)
  local request_id = headers["X-Request-Id"] or headers["x-request-id"] or ""
  if string.sub(request_id, 1, 7) == "revoke-" then
    writes_in_flight = writes_in_flight - 1
    write_pending = false
    -- 404: there was no membership to remove (a previous run left it revoked); either way it is revoked now.
    if status == 204 or status == 404 then granted = false end
  elseif string.sub(request_id, 1, 6) == "grant-" then
    writes_in_flight = writes_in_flight - 1
    write_pending = false
    if status == 200 or status == 201 then granted = true end
  elseif string.sub(request_id, 1, 8) == "subject-" and status == 200 then
    subject_checks = subject_checks + 1
    local allowed = string.find(body, '"allowed":true', 1, true) ~= nil
    local expect, sent = string.match(request_id, "^subject%-(%a+)%-(%d+)%-")
    if tonumber(sent) == writes_sent then
      if expect == "deny" and allowed then violations = violations + 1 end
      if expect == "allow" and not allowed then denials = denials + 1 end
    end
  end
end

-- The RESULT line after the consistency counts: bench/result.lua, beside this script.
local result = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
done = function(summary, latency, requests)
  local total_violations, total_denials, total_subject, total_writes = 0, 0, 0, 0
  for _, thread in ipairs(threads) do
    total_violations = total_violations + thread:get("violations")
    total_denials = total_denials + thread:get("denials")
    total_subject = total_subject + thread:get("subject_checks")
    total_writes = total_writes + thread:get("writes")
  end
  io.write(string.format("MIXED writes=%d subject_checks=%d violations=%d denials=%d\n", total_writes, total_subject, total_violations, total_denials))
  result(summary, latency, requests)
end
