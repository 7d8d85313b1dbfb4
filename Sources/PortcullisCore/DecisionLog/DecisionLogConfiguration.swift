/// What the decision log keeps, how much, and for how long (`[audit]` in the configuration file).
public struct DecisionLogConfiguration: Sendable, Equatable {
    /// Which checks are logged (`audit.decisions`). Sign-ins and sign-outs are logged whatever it says.
    public enum Mode: String, Sendable, CaseIterable {
        /// No checks; `denies` (the default): checks answered `allowed: false`; `sampled`: a share of all checks,
        /// `sampleRate`; `all`: every check.
        case off, denies, sampled, all
    }

    /// Which checks are logged.
    public var mode = Mode.denies
    /// The share of checks logged in `sampled` mode, 0...1 (`audit.sample_rate`).
    public var sampleRate = 0.01
    /// The log file's cap in bytes; past it the oldest entries go first (`audit.max_bytes`, default 1 GiB).
    public var maxBytes: Int64 = 1 << 30
    /// Entries older than this many days are swept (`audit.retention_days`, default 90).
    public var retentionDays = 90
    /// Entries waiting for the background writer beyond this are dropped and counted, never waited for.
    public var queueCapacity = 100_000
    /// How often the background writer commits what is queued. A second: the random-place index pages a batch changes
    /// are written once per batch, so bigger batches cost less per entry (`portcullis bench-audit`: 19 µs of CPU per
    /// entry in batches of 1,500, 11 µs in batches of 15,000).
    public var flushInterval = Duration.seconds(1)
    /// How often the writer sweeps by age and size.
    public var sweepInterval = Duration.seconds(60)
    /// How long logging pauses (dropping and counting) after the file refused a write, e.g. on a full disk.
    public var pauseMilliseconds: Int64 = 10_000

    /// The defaults: denies logged, 1 % sampled when `sampled`, 1 GiB, 90 days.
    public init() {}
}
