-- get: a plain GET with the credentials given by -H (used for /api/v1/me and media-url).
-- Usage: wrk -s bench/get.lua -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/me
-- The RESULT line at the end of the run: bench/result.lua, beside this script.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
