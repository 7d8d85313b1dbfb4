-- login: successful sign-ins (each pays the deliberately slow password KDF).
-- Usage: BENCH_EMAIL=... BENCH_PASSWORD=... wrk -s bench/login.lua http://127.0.0.1:8080/api/v1/auth/login
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL") or "", os.getenv("BENCH_PASSWORD") or "")
-- The RESULT line at the end of the run: bench/result.lua, beside this script.
done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
