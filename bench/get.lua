-- get: a plain GET with the credentials given by -H (used for /api/v1/me and media-url).
-- Usage: wrk -s bench/get.lua -H "Authorization: Bearer $TOKEN" http://127.0.0.1:8080/api/v1/me
-- Shared: print percentiles and errors as one parsable line at the end of a run.
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
