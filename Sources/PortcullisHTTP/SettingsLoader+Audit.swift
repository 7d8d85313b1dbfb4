import PortcullisCore

extension SettingsLoader {
    /// The options of the `[audit]` table (`AuditSettings`); each takes its `PORTCULLIS_AUDIT_*` variable too.
    static let auditOptions: [Option] = [
        Option(key: "audit.retention_days", environment: "PORTCULLIS_AUDIT_RETENTION_DAYS") { settings, value throws(PortcullisError) in
            settings.audit.retentionDays = try integer(value, "audit.retention_days", in: 1...36_500)
        },
        Option(key: "audit.stream_keepalive_seconds", environment: "PORTCULLIS_AUDIT_STREAM_KEEPALIVE_SECONDS") { settings, value throws(PortcullisError) in
            settings.audit.streamKeepAlive = .seconds(try integer(value, "audit.stream_keepalive_seconds", in: 1...3600))
        },
    ]
}
