import PortcullisCore

/// Writes the Prometheus text exposition format (version 0.0.4) straight into one string: a family's `# HELP` and
/// `# TYPE` lines, then all its samples together, names prefixed with `portcullis_`.
///
/// Written by hand rather than through swift-prometheus' registry because `/metrics` exposes figures the monitor
/// already keeps — fixed-bucket histograms since start and rolling-window quantiles — and swift-prometheus has no
/// summary type and no way to set a histogram's buckets; it also spares a scrape building a registry of a few
/// hundred objects.
///
/// ```swift
/// var writer = PrometheusTextWriter()
/// writer.counter("responses_total", "Responses since start by status class.", [([("status", "2xx")], 12)])
/// let text = writer.text
/// ```
struct PrometheusTextWriter {
    /// A family's type, as its `# TYPE` line names it.
    enum MetricType: String {
        case counter, gauge, histogram, summary
    }

    /// Label names and values, in order.
    typealias Labels = [(String, String)]

    static let namespace = "portcullis_"

    /// The exposition so far.
    private(set) var text = ""

    init(capacity: Int = 32 * 1024) {
        text.reserveCapacity(capacity)
    }

    // MARK: Families

    /// A gauge family: one sample per label set.
    mutating func gauge(_ name: String, _ help: String, _ samples: [(Labels, Double)]) {
        guard !samples.isEmpty else { return }
        family(name, .gauge, help)
        for (labels, value) in samples { sample(name, labels, Self.format(value)) }
    }

    /// A gauge family of one unlabelled sample.
    mutating func gauge(_ name: String, _ help: String, _ value: Double) {
        gauge(name, help, [([], value)])
    }

    /// A counter family; `name` ends in `_total`.
    mutating func counter(_ name: String, _ help: String, _ samples: [(Labels, Int)]) {
        guard !samples.isEmpty else { return }
        family(name, .counter, help)
        for (labels, value) in samples { sample(name, labels, String(value)) }
    }

    /// A counter family of one unlabelled sample.
    mutating func counter(_ name: String, _ help: String, _ value: Int) {
        counter(name, help, [([], value)])
    }

    /// A histogram family in seconds: `_bucket` per bound of `CumulativeLatency` then `+Inf`, `_sum`, `_count`.
    mutating func histogram(_ name: String, _ help: String, _ series: [(Labels, CumulativeLatency)]) {
        guard !series.isEmpty else { return }
        family(name, .histogram, help)
        for (labels, latency) in series {
            let cumulative = latency.cumulativeCounts
            for (index, bound) in Self.bucketBounds.enumerated() {
                sample(name + "_bucket", labels + [("le", bound)], String(cumulative[index]))
            }
            sample(name + "_sum", labels, Self.format(Double(latency.sumNanoseconds) / 1e9))
            sample(name + "_count", labels, String(cumulative[cumulative.count - 1]))
        }
    }

    /// One series of a summary: quantile labels and values, then the sum and count of every observation.
    struct SummarySeries {
        var labels: Labels
        var quantiles: [(String, Double)]
        var sum: Double
        var count: UInt64
    }

    /// A summary family: `{quantile=...}` samples, `_sum` and `_count` per series.
    mutating func summary(_ name: String, _ help: String, _ series: [SummarySeries]) {
        guard !series.isEmpty else { return }
        family(name, .summary, help)
        for entry in series {
            for (quantile, value) in entry.quantiles { sample(name, entry.labels + [("quantile", quantile)], Self.format(value)) }
            sample(name + "_sum", entry.labels, Self.format(entry.sum))
            sample(name + "_count", entry.labels, String(entry.count))
        }
    }

    // MARK: Lines

    private mutating func family(_ name: String, _ type: MetricType, _ help: String) {
        text += "# HELP "
        text += Self.namespace
        text += name
        text += " "
        text += Self.escape(help, quotes: false)
        text += "\n# TYPE "
        text += Self.namespace
        text += name
        text += " "
        text += type.rawValue
        text += "\n"
    }

    private mutating func sample(_ name: String, _ labels: Labels, _ value: String) {
        text += Self.namespace
        text += name
        if !labels.isEmpty {
            text += "{"
            for (index, (label, labelValue)) in labels.enumerated() {
                if index > 0 { text += "," }
                text += label
                text += "=\""
                text += Self.escape(labelValue, quotes: true)
                text += "\""
            }
            text += "}"
        }
        text += " "
        text += value
        text += "\n"
    }

    // MARK: Formatting

    /// The `le` values: each bound of `CumulativeLatency` in seconds, written exactly (`0.000025`, not `2.5e-05`),
    /// then `+Inf`.
    static let bucketBounds: [String] = CumulativeLatency.upperBoundsNanoseconds.map(PrometheusTextWriter.seconds) + ["+Inf"]

    /// Nanoseconds as a decimal number of seconds without exponent or trailing zeros: 25,000 → `0.000025`.
    static func seconds(_ nanoseconds: Int64) -> String {
        let whole = nanoseconds / 1_000_000_000
        let fraction = nanoseconds % 1_000_000_000
        guard fraction != 0 else { return String(whole) }
        var digits = String(fraction)
        digits = String(repeating: "0", count: 9 - digits.count) + digits
        while digits.hasSuffix("0") { digits.removeLast() }
        return "\(whole).\(digits)"
    }

    /// A sample value: Swift's shortest round-tripping form, which Prometheus reads; `+Inf`, `-Inf` and `NaN` as the
    /// format spells them.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        // Whole numbers (counts, bytes) without Swift's trailing ".0".
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return value.description
    }

    /// Milliseconds in seconds, rounded to the nanosecond, without the binary noise of a plain division
    /// (0.336 ms → 0.000336, not 0.00033600000000000004).
    static func seconds(milliseconds: Double) -> Double {
        (milliseconds * 1e6).rounded() / 1e9
    }

    /// Label values escape backslash, double quote and line feed; help text backslash and line feed.
    static func escape(_ text: String, quotes: Bool) -> String {
        guard text.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\n") || (quotes && $0 == UInt8(ascii: "\"")) }) else {
            return text
        }
        var escaped = ""
        for character in text.unicodeScalars {
            switch character {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\"" where quotes: escaped += "\\\""
            default: escaped.unicodeScalars.append(character)
            }
        }
        return escaped
    }
}
