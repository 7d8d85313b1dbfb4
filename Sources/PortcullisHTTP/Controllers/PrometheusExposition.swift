import PortcullisCore
import Prometheus

/// `GET /metrics`: the monitor's figures in the Prometheus text exposition format, through swift-prometheus.
///
/// The request path records into the monitor's own histograms; a scrape copies the current figures into a fresh
/// registry, so Prometheus costs nothing between scrapes.
enum PrometheusExposition {
    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    static func render(instruments: Instruments, resources: SystemResources, alerts: [Alert], shedder: LoadShedder.Report?,
                       fastPath: FastPathFigures.Report? = nil, decisionLog: DecisionLogReport? = nil) -> String {
        let registry = PrometheusCollectorRegistry()
        func gauge(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Double) {
            registry.makeGauge(descriptor: MetricNameDescriptor(namespace: "portcullis", metricName: name, unitName: "", helpText: help), labels: labels)
                .set(value)
        }
        func counter(_ name: String, _ help: String, _ labels: [(String, String)] = [], _ value: Int) {
            registry.makeCounter(descriptor: MetricNameDescriptor(namespace: "portcullis", metricName: name, unitName: "total", helpText: help),
                                 labels: labels)
                .increment(by: Int64(value))
        }
        func latency(_ name: String, _ help: String, _ label: String, _ key: String, _ window: LatencyWindow) {
            for (quantile, value) in [("0.5", window.p50Milliseconds), ("0.95", window.p95Milliseconds), ("0.99", window.p99Milliseconds),
                                      ("1", window.maxMilliseconds)] {
                gauge(name + "_latency_seconds", help, [(label, key), ("quantile", quantile)], value / 1000)
            }
            gauge(name + "_window_count", "Samples in the rolling window.", [(label, key)], Double(window.count))
            gauge(name + "_rate_per_second", "Samples per second over the rolling window.", [(label, key)], window.perSecond)
        }

        let snapshot = instruments.monitor.snapshot()
        gauge("uptime_seconds", "Seconds since the monitor started.", [], snapshot.uptimeSeconds)
        for (operation, window) in snapshot.operations.sorted(by: { $0.key < $1.key }) {
            latency("operation", "Latency of each operation over the rolling window.", "operation", operation, window)
        }
        for (routeClass, window) in snapshot.routeClasses.sorted(by: { $0.key < $1.key }) {
            latency("route_class", "Latency of each route class over the rolling window.", "class", routeClass, window)
        }
        for (endpoint, window) in snapshot.endpoints.sorted(by: { $0.key < $1.key }) {
            latency("endpoint", "Latency of the endpoints the targets name.", "endpoint", endpoint, window)
        }
        for (status, count) in snapshot.responses.sorted(by: { $0.key < $1.key }) {
            counter("responses", "Responses since start by status class.", [("status", status)], count)
        }

        let recorded = instruments.changes.recorded
        for entity in ChangeEntity.allCases {
            counter("changes", "Changes recorded in the change log since start, per entity.", [("entity", entity.rawValue)], recorded[entity])
        }

        if let cache = instruments.cache?.report() {
            for layer in cache.layers {
                counter("cache_hits", "Decision-cache hits per layer.", [("layer", layer.layer)], layer.hits)
                counter("cache_misses", "Decision-cache misses per layer.", [("layer", layer.layer)], layer.misses)
                if let entries = layer.entries { gauge("cache_entries", "Entries per cache layer.", [("layer", layer.layer)], Double(entries)) }
                if let breaker = layer.breaker {
                    gauge("cache_breaker_open", "1 when the layer's circuit breaker is not closed.", [("layer", layer.layer)], breaker == "closed" ? 0 : 1)
                }
            }
            gauge("cache_hit_ratio", "Lookups answered by any cache layer over all lookups, since start.", [], cache.overallHitRate)
        }

        let statements = instruments.store.statements()
        for entry in statements.queries {
            let labels = [("statement", entry.name), ("class", entry.queryClass.rawValue)]
            counter("query_calls", "Executions of each registered statement.", labels, entry.calls)
            counter("query_slow", "Executions slower than the statement class's threshold.", labels, entry.slowCount)
            gauge("query_latency_seconds", "Statement latency since start.", labels + [("quantile", "0.5")], entry.p50Milliseconds / 1e3)
            gauge("query_latency_seconds", "Statement latency since start.", labels + [("quantile", "0.99")], entry.p99Milliseconds / 1e3)
        }
        let statementCache = statements.statementCache
        counter("statement_cache_hits", "Prepared-statement cache hits.", [], statementCache.hits)
        counter("statement_cache_misses", "Prepared-statement cache misses (statements prepared).", [], statementCache.misses)
        gauge("statement_cache_size", "Prepared statements held across connections.", [], Double(statementCache.size))

        if let cpu = resources.cpuPercent { gauge("process_cpu_percent", "Process CPU as a percentage of all cores.", [], cpu) }
        if let rss = resources.residentBytes { gauge("process_resident_memory_bytes", "Resident memory.", [], Double(rss)) }
        if let files = resources.openFiles { gauge("process_open_fds", "Open file descriptors.", [], Double(files)) }
        if let read = resources.diskReadBytes { gauge("process_disk_read_bytes", "Bytes read from storage since start.", [], Double(read)) }
        if let write = resources.diskWriteBytes { gauge("process_disk_write_bytes", "Bytes written to storage since start.", [], Double(write)) }
        if let size = resources.databaseBytes { gauge("database_bytes", "Size of the database file.", [], Double(size)) }
        if let size = resources.walBytes { gauge("database_wal_bytes", "Size of the write-ahead log.", [], Double(size)) }

        if let fastPath {
            counter("fast_path_requests", "Check requests the event-loop fast path answered, or passed on to the full path.",
                    [("outcome", "answered")], fastPath.answered)
            counter("fast_path_requests", "Check requests the event-loop fast path answered, or passed on to the full path.",
                    [("outcome", "passed_on")], fastPath.passedOn)
        }
        if let decisionLog {
            counter("audit_decisions", "Entries written to the decision log (checks its mode selects, sign-ins, sign-outs).", [], decisionLog.written)
            counter("audit_dropped", "Decision-log entries dropped: queue full, or logging paused after a failed write (a full disk).", [],
                    decisionLog.dropped)
            gauge("audit_queue_depth", "Decision-log entries waiting for the background writer.", [], Double(decisionLog.queued))
            gauge("audit_paused", "1 while decision logging is paused after a failed write.", [], decisionLog.paused ? 1 : 0)
        }
        if let shedder {
            gauge("in_flight_requests", "Requests in progress.", [], Double(shedder.inFlight))
            gauge("overload_breaker_open", "1 while the overload breaker is open or half-open.", [], shedder.state == "closed" ? 0 : 1)
            for (routeClass, count) in shedder.shed.sorted(by: { $0.key < $1.key }) {
                counter("shed_requests", "Requests answered 503 by load shedding.", [("class", routeClass)], count)
            }
        }
        for severity in [Alert.Severity.critical, .warning, .info] {
            gauge("alerts_active", "Active alerts by severity.", [("severity", severity.rawValue)], Double(alerts.filter { $0.severity == severity }.count))
        }
        return registry.emitToString()
    }
}
