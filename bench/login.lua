-- login: successful sign-ins (each pays the deliberately slow password KDF).
-- Usage: BENCH_EMAIL=... BENCH_PASSWORD=... wrk -s bench/login.lua http://127.0.0.1:8080/api/v1/auth/login
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"email":"%s","password":"%s"}', os.getenv("BENCH_EMAIL") or "", os.getenv("BENCH_PASSWORD") or "")
-- Shared: print percentiles and errors as one parsable line at the end of a run.
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
