import PortcullisCore

extension SettingsLoader {
    /// The options of the `[audit]` table: the change log's (`AuditSettings`) and the decision log's
    /// (`DecisionLogConfiguration`) of SPEC 8.2; each takes its `PORTCULLIS_AUDIT_*` variable too.
    static let auditOptions: [Option] = [
        // One retention for both logs, as SPEC 8.2 has it.
        Option(key: "audit.retention_days", environment: "PORTCULLIS_AUDIT_RETENTION_DAYS") { settings, value throws(PortcullisError) in
            let days = try integer(value, "audit.retention_days", in: 1...36_500)
            settings.audit.retentionDays = days
            settings.decisionLog.retentionDays = days
        },
        Option(key: "audit.stream_keepalive_seconds", environment: "PORTCULLIS_AUDIT_STREAM_KEEPALIVE_SECONDS") { settings, value throws(PortcullisError) in
            settings.audit.streamKeepAlive = .seconds(try integer(value, "audit.stream_keepalive_seconds", in: 1...3600))
        },
        Option(key: "audit.decisions", environment: "PORTCULLIS_AUDIT_DECISIONS") { settings, value throws(PortcullisError) in
            guard let mode = DecisionLogConfiguration.Mode(rawValue: value) else {
                let modes = DecisionLogConfiguration.Mode.allCases.map(\.rawValue).joined(separator: ", ")
                throw PortcullisError.invalidField("audit.decisions", "must be one of \(modes)")
            }
            settings.decisionLog.mode = mode
        },
        Option(key: "audit.sample_rate", environment: "PORTCULLIS_AUDIT_SAMPLE_RATE") { settings, value throws(PortcullisError) in
            guard let rate = Double(value), rate.isFinite, (0...1).contains(rate) else {
                throw PortcullisError.invalidField("audit.sample_rate", "must be a number in 0...1 (0.05 logs one check in twenty)")
            }
            settings.decisionLog.sampleRate = rate
        },
        Option(key: "audit.max_bytes", environment: "PORTCULLIS_AUDIT_MAX_BYTES") { settings, value throws(PortcullisError) in
            guard let bytes = Int64(value), (Int64(1 << 20)...Int64(1 << 40)).contains(bytes) else {
                throw PortcullisError.invalidField("audit.max_bytes", "must be an integer in \(1 << 20)...\(1 << 40) (bytes)")
            }
            settings.decisionLog.maxBytes = bytes
        },
    ]
}
