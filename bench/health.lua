-- health: the HTTP stack's own ceiling (no credentials, no body, no database).
-- Usage: wrk -s bench/health.lua http://127.0.0.1:8080/api/v1/health
-- The RESULT line at the end of the run: bench/result.lua, beside this script.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
