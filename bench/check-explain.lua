-- check-explain: checks with "explain": true, which are never cached (one evaluation per request); a different
-- user and generation of the 1M dataset each time.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, nil, string.format('{"user_id":"u%d","action":"read","resource_type":"generation","resource_id":"g%d","explain":true}', counter % 100000, (counter * 7919) % 1000000))
end
