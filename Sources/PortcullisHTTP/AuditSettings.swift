/// The `[audit]` table of the config file: the change log's retention and the change stream (SPEC 8.2).
/// The decision log's settings join it here.
public struct AuditSettings: Sendable {
    /// `audit.retention_days`: changes recorded longer ago than this are removed by the background sweep.
    public var retentionDays = 90
    /// How often the retention sweep runs (not in the config file: an hour; tests shorten it).
    public var sweepInterval: Duration = .seconds(3600)
    /// `audit.stream_keepalive_seconds`: an idle change stream writes a comment this often (15 s).
    public var streamKeepAlive: Duration = .seconds(15)

    /// The defaults.
    public init() {}
}
