import PortcullisCore

/// `GET /metrics`: the monitor's figures in the Prometheus text exposition format (docs/monitoring.md lists them).
///
/// The request path records into the monitor's own structures; a scrape reads them and writes the text, so
/// Prometheus costs nothing between scrapes. Each latency series appears twice: as a histogram since start in
/// fixed buckets (`*_duration_seconds`, for `histogram_quantile` and for adding nodes together), and as a summary
/// whose quantiles cover the rolling five-minute window (`*_latency_seconds`, what the dashboard shows).
enum PrometheusExposition {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    typealias Labels = PrometheusTextWriter.Labels

    private static func seconds(_ milliseconds: Double) -> Double { PrometheusTextWriter.seconds(milliseconds: milliseconds) }

    static func render(instruments: Instruments, resources: SystemResources, alerts: [Alert], cache: DecisionCache.Report?,
                       shedder: LoadShedder.Report?, fastPath: FastPathFigures.Report? = nil, decisionLog: DecisionLogReport? = nil,
                       gate: ConsistencyGateStatus? = nil) -> String {
        var writer = PrometheusTextWriter()
        let monitor = instruments.monitor
        writer.gauge("uptime_seconds", "Seconds since the monitor started.", monitor.uptimeSeconds)

        let operations = MonitoredOperation.allCases.map { ([("operation", $0.rawValue)], monitor.window($0), monitor.cumulative($0)) }
        latency(&writer, "operation", "each operation", operations)
        let routeClasses = monitor.routeClassNames.compactMap { name in
            monitor.window(routeClass: name).flatMap { window in monitor.cumulative(routeClass: name).map { ([("class", name)], window, $0) } }
        }
        latency(&writer, "route_class", "each route class", routeClasses)
        let endpoints = MonitoredEndpoint.allCases.map { ([("endpoint", $0.rawValue)], monitor.window(endpoint: $0), monitor.cumulative(endpoint: $0)) }
        latency(&writer, "endpoint", "the endpoints the targets name", endpoints)

        let responses = monitor.responseTotals
        writer.counter("responses_total", "Responses since start by status class (503 also counted on its own).",
                       responses.sorted { $0.key < $1.key }.map { ([("status", $0.key)], $0.value) })

        let recorded = instruments.changes.recorded
        writer.counter("changes_total", "Changes this node recorded in the change log since start, per entity.",
                       ChangeEntity.allCases.map { ([("entity", $0.rawValue)], recorded[$0]) })

        if let cache {
            let layer: (DecisionCache.LayerReport) -> Labels = { [("layer", $0.layer)] }
            writer.counter("cache_hits_total", "Decision-cache hits per layer.", cache.layers.map { (layer($0), $0.hits) })
            writer.counter("cache_misses_total", "Decision-cache misses per layer.", cache.layers.map { (layer($0), $0.misses) })
            writer.gauge("cache_entries", "Entries per cache layer.", cache.layers.compactMap { report in report.entries.map { (layer(report), Double($0)) } })
            writer.gauge("cache_breaker_open", "1 when the layer's circuit breaker is not closed.",
                         cache.layers.compactMap { report in report.breaker.map { (layer(report), $0 == "closed" ? 0 : 1) } })
            writer.gauge("cache_hit_ratio", "Lookups answered by any cache layer over all lookups, since start.", cache.overallHitRate)
        }

        let figures = instruments.store.statementFigures()
        let statementLabels: (StatementFigures) -> Labels = { [("statement", $0.name), ("class", $0.queryClass.rawValue)] }
        writer.counter("query_calls_total", "Executions of each registered statement.", figures.statements.map { (statementLabels($0), $0.calls) })
        writer.counter("query_slow_total", "Executions slower than the statement class's threshold.",
                       figures.statements.map { (statementLabels($0), $0.slowCount) })
        writer.summary("query_latency_seconds", "Statement execution time since start (time inside sqlite3_step).", figures.statements.map {
            .init(labels: statementLabels($0), quantiles: [("0.5", seconds($0.p50Milliseconds)), ("0.99", seconds($0.p99Milliseconds))],
                  sum: Double($0.totalNanoseconds) / 1e9, count: UInt64($0.calls))
        })
        let statementCache = figures.statementCache
        writer.counter("statement_cache_hits_total", "Prepared-statement cache hits.", statementCache.hits)
        writer.counter("statement_cache_misses_total", "Prepared-statement cache misses (statements prepared).", statementCache.misses)
        writer.gauge("statement_cache_size", "Prepared statements held across connections.", Double(statementCache.size))

        if let cpu = resources.cpuPercent { writer.gauge("process_cpu_percent", "Process CPU as a percentage of all cores.", cpu) }
        if let rss = resources.residentBytes { writer.gauge("process_resident_memory_bytes", "Resident memory.", Double(rss)) }
        if let files = resources.openFiles { writer.gauge("process_open_fds", "Open file descriptors.", Double(files)) }
        if let read = resources.diskReadBytes { writer.gauge("process_disk_read_bytes", "Bytes read from storage since start.", Double(read)) }
        if let write = resources.diskWriteBytes { writer.gauge("process_disk_write_bytes", "Bytes written to storage since start.", Double(write)) }
        if let size = resources.databaseBytes { writer.gauge("database_bytes", "Size of the database file.", Double(size)) }
        if let size = resources.walBytes { writer.gauge("database_wal_bytes", "Size of the write-ahead log.", Double(size)) }

        if let fastPath {
            writer.counter("fast_path_requests_total", "Check requests the event-loop fast path answered, or passed on to the full path.",
                           [([("outcome", "answered")], fastPath.answered), ([("outcome", "passed_on")], fastPath.passedOn)])
        }
        if let gate {
            writer.gauge("change_feed_live", "1 while this node's change feed is connected and caught up (several nodes).", gate.live ? 1 : 0)
            writer.gauge("change_feed_applied_revision", "The revision up to which this node has applied every write.", Double(gate.appliedRevision))
            writer.counter("consistency_gate_reads_total", "Reads of the database's revision by the consistency gate.", gate.reads)
        }
        if let decisionLog {
            writer.counter("audit_decisions_total", "Entries written to the decision log (checks its mode selects, sign-ins, sign-outs).",
                           decisionLog.written)
            writer.counter("audit_dropped_total", "Decision-log entries dropped: queue full, or logging paused after a failed write (a full disk).",
                           decisionLog.dropped)
            writer.gauge("audit_queue_depth", "Decision-log entries waiting for the background writer.", Double(decisionLog.queued))
            writer.gauge("audit_paused", "1 while decision logging is paused after a failed write.", decisionLog.paused ? 1 : 0)
        }
        if let shedder {
            writer.gauge("in_flight_requests", "Requests in progress.", Double(shedder.inFlight))
            writer.gauge("overload_breaker_open", "1 while the overload breaker is open or half-open.", shedder.state == "closed" ? 0 : 1)
            writer.counter("shed_requests_total", "Requests answered 503 by load shedding.",
                           shedder.shed.sorted { $0.key < $1.key }.map { ([("class", $0.key)], $0.value) })
        }
        writer.gauge("alerts_active", "Active alerts by severity.", [Alert.Severity.critical, .warning, .info].map { severity in
            ([("severity", severity.rawValue)], Double(alerts.filter { $0.severity == severity }.count))
        })
        return writer.text
    }

    /// The four families of a kind of latency series (`operation`, `route_class`, `endpoint`): the histogram since
    /// start, the window's quantiles as a summary, the window's sample count and rate.
    private static func latency(_ writer: inout PrometheusTextWriter, _ kind: String, _ what: String,
                                _ series: [(labels: Labels, window: LatencyWindow, totals: CumulativeLatency)]) {
        writer.histogram("\(kind)_duration_seconds", "Latency of \(what) since start, in fixed buckets (10 µs to 10 s).",
                         series.map { ($0.labels, $0.totals) })
        writer.summary("\(kind)_latency_seconds",
                       "Latency of \(what): quantiles over the rolling window (quantile 1 is the window's maximum), sum and count since start.",
                       series.map { entry in
                           let window = entry.window
                           return .init(labels: entry.labels,
                                        quantiles: [("0.5", seconds(window.p50Milliseconds)), ("0.95", seconds(window.p95Milliseconds)),
                                                    ("0.99", seconds(window.p99Milliseconds)), ("1", seconds(window.maxMilliseconds))],
                                        sum: Double(entry.totals.sumNanoseconds) / 1e9, count: entry.totals.count)
                       })
        writer.gauge("\(kind)_window_samples", "Samples in the rolling window.", series.map { ($0.labels, Double($0.window.count)) })
        writer.gauge("\(kind)_rate_per_second", "Samples per second over the rolling window.", series.map { ($0.labels, $0.window.perSecond) })
    }
}
