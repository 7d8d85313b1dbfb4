-- The line `portcullis bench` parses at the end of every wrk run: request count, throughput, latency percentiles in
-- microseconds and errors. A script takes it as its `done` (mixed.lua calls it after its own line):
--   done = dofile((debug.getinfo(1, "S").source:match("^@(.*/)") or "") .. "result.lua")
return function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d duration_s=%.2f rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d errors=%d non2xx=%d\n",
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout, summary.errors.status))
end
