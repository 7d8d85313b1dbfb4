import PortcullisCore

extension SettingsLoader {
    /// `[audit]`: the decision log of SPEC 8.2 (`PORTCULLIS_AUDIT_*` in the environment).
    static let auditOptions: [Option] = [
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
        Option(key: "audit.retention_days", environment: "PORTCULLIS_AUDIT_RETENTION_DAYS") { settings, value throws(PortcullisError) in
            guard let days = Int(value), (1...36_500).contains(days) else {
                throw PortcullisError.invalidField("audit.retention_days", "must be an integer in 1...36500")
            }
            settings.decisionLog.retentionDays = days
        },
    ]
}
