import Foundation

/// A strict reader of the Prometheus text exposition format (0.0.4), written from the format's description rather
/// than from the server's writer, so the two can disagree. It rejects what Prometheus' own parser rejects and what
/// `promtool check metrics` lints, and checks the histogram and summary invariants a query relies on:
///
/// - every line ends in `\n`; no blank lines; `#` lines are `HELP` or `TYPE`, each at most once per family, `TYPE`
///   before the family's first sample; a family's samples are contiguous;
/// - names and label names are valid, label values quoted with only `\\`, `\"`, `\n` escapes, no label repeated,
///   no series repeated; values are Go floats (`+Inf`, `-Inf`, `NaN` spelled so);
/// - counters end in `_total` and are not negative; only summaries carry `quantile`, only histograms `le`; names
///   ending in `_count`, `_sum`, `_bucket` belong to a histogram or summary;
/// - a histogram's series have ascending `le` bounds ending in `+Inf`, counts that never fall, `_count` equal to
///   the `+Inf` bucket, and a `_sum`; a summary's series have quantiles in [0, 1], a `_sum` and a `_count`.
struct PrometheusText {
    struct Sample: Equatable {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    struct Family {
        var name: String
        var type: String
        var help: String?
        var samples: [Sample] = []
    }

    struct FormatError: Error, CustomStringConvertible {
        var line: Int
        var reason: String
        var description: String { "line \(line): \(reason)" }
    }

    private(set) var families: [String: Family] = [:]
    /// Family names in the order they appear.
    private(set) var order: [String] = []

    /// Every sample name (`x_bucket`, `x_sum` and `x_count` included), for "does this metric exist" questions.
    var sampleNames: Set<String> { Set(families.values.flatMap { $0.samples.map(\.name) }) }

    /// The samples named `name` (of whichever family).
    func samples(_ name: String) -> [Sample] { families.values.flatMap { $0.samples.filter { $0.name == name } } }

    /// The value of the one sample named `name` whose labels include `labels`.
    func value(_ name: String, _ labels: [String: String] = [:]) -> Double? {
        let matching = samples(name).filter { sample in labels.allSatisfy { sample.labels[$0.key] == $0.value } }
        return matching.count == 1 ? matching[0].value : nil
    }

    init(_ text: String) throws {
        guard text.hasSuffix("\n") else { throw FormatError(line: 0, reason: "the exposition must end with a line feed") }
        var seenSeries = Set<String>()
        var finished = Set<String>()
        var current: String?
        let lines = text.dropLast().split(separator: "\n", omittingEmptySubsequences: false)
        for (offset, rawLine) in lines.enumerated() {
            let number = offset + 1
            let line = String(rawLine)
            func fail(_ reason: String) -> FormatError { FormatError(line: number, reason: "\(reason): \(line)") }
            guard !line.isEmpty else { throw fail("a blank line") }
            if line.hasPrefix("#") {
                let parts = line.split(separator: " ", maxSplits: 3, omittingEmptySubsequences: false).map(String.init)
                guard parts.count >= 3, parts[0] == "#", parts[1] == "HELP" || parts[1] == "TYPE" else { throw fail("a comment that is not HELP or TYPE") }
                let name = parts[2]
                guard Self.isMetricName(name) else { throw fail("an invalid metric name") }
                if current != name {
                    if let current { finished.insert(current) }
                    guard !finished.contains(name) else { throw fail("family \(name) appears again after another family") }
                    current = name
                }
                if families[name] == nil {
                    families[name] = Family(name: name, type: "untyped")
                    order.append(name)
                }
                if parts[1] == "HELP" {
                    guard families[name]!.help == nil else { throw fail("a second HELP line") }
                    let help = parts.count == 4 ? parts[3] : ""
                    families[name]!.help = try Self.unescape(help, quotes: false).unwrapped(or: fail("a bad escape in HELP"))
                } else {
                    guard parts.count == 4, ["counter", "gauge", "histogram", "summary", "untyped"].contains(parts[3]) else { throw fail("an unknown TYPE") }
                    guard families[name]!.samples.isEmpty else { throw fail("TYPE after the family's samples") }
                    guard families[name]!.type == "untyped" else { throw fail("a second TYPE line") }
                    families[name]!.type = parts[3]
                }
                continue
            }
            let sample = try Self.parseSample(line).unwrapped(or: fail("not a sample line"))
            guard let family = current, let type = families[family]?.type, Self.belongs(sample.name, to: family, type: type) else {
                throw fail("sample \(sample.name) outside its family's block (TYPE first, samples together)")
            }
            let key = sample.name + "{" + sample.labels.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",") + "}"
            guard seenSeries.insert(key).inserted else { throw fail("a repeated series") }
            if sample.labels["quantile"] != nil && !(type == "summary" && sample.name == family) { throw fail("quantile on a non-summary sample") }
            if sample.labels["le"] != nil && !(type == "histogram" && sample.name == family + "_bucket") { throw fail("le on a non-bucket sample") }
            families[family]!.samples.append(sample)
        }
        for name in order { try Self.validate(families[name]!) }
    }

    // MARK: Families

    private static func belongs(_ sample: String, to family: String, type: String) -> Bool {
        switch type {
        case "histogram": [family + "_bucket", family + "_sum", family + "_count"].contains(sample)
        case "summary": [family, family + "_sum", family + "_count"].contains(sample)
        default: sample == family
        }
    }

    private static func validate(_ family: Family) throws {
        func fail(_ reason: String) -> FormatError { FormatError(line: 0, reason: "\(family.name): \(reason)") }
        guard family.type != "untyped" else { throw fail("no TYPE line") }
        guard family.help?.isEmpty == false else { throw fail("no HELP text") }
        guard !family.samples.isEmpty else { throw fail("a family without samples") }
        if !["histogram", "summary"].contains(family.type),
           family.name.hasSuffix("_count") || family.name.hasSuffix("_sum") || family.name.hasSuffix("_bucket") {
            throw fail("a \(family.type) named like a histogram or summary part")
        }
        switch family.type {
        case "counter":
            guard family.name.hasSuffix("_total") else { throw fail("a counter not ending in _total") }
            guard family.samples.allSatisfy({ $0.value >= 0 && $0.value.isFinite }) else { throw fail("a negative counter") }
        case "histogram":
            for (labels, samples) in grouped(family.samples, dropping: "le") {
                let buckets = samples.filter { $0.name == family.name + "_bucket" }
                let bounds = try buckets.map { bucket in
                    guard let text = bucket.labels["le"], let bound = parseFloat(text), !bound.isNaN else { throw fail("\(labels): a bucket without a valid le") }
                    return bound
                }
                guard !bounds.isEmpty, bounds.last == .infinity else { throw fail("\(labels): no +Inf bucket last") }
                guard zip(bounds, bounds.dropFirst()).allSatisfy({ $0 < $1 }) else { throw fail("\(labels): le bounds not ascending") }
                let counts = buckets.map(\.value)
                guard zip(counts, counts.dropFirst()).allSatisfy({ $0 <= $1 }), counts.allSatisfy({ $0 >= 0 }) else {
                    throw fail("\(labels): bucket counts fall")
                }
                let count = samples.filter { $0.name == family.name + "_count" }
                guard count.count == 1, count[0].value == counts.last else { throw fail("\(labels): _count differs from the +Inf bucket") }
                guard samples.filter({ $0.name == family.name + "_sum" }).count == 1 else { throw fail("\(labels): no _sum") }
            }
        case "summary":
            for (labels, samples) in grouped(family.samples, dropping: "quantile") {
                for quantile in samples where quantile.name == family.name {
                    guard let text = quantile.labels["quantile"], let value = parseFloat(text), (0...1).contains(value) else {
                        throw fail("\(labels): a quantile outside [0, 1]")
                    }
                }
                guard samples.filter({ $0.name == family.name + "_sum" }).count == 1,
                      samples.filter({ $0.name == family.name + "_count" }).count == 1 else { throw fail("\(labels): no _sum or _count") }
            }
        default:
            break
        }
    }

    /// Samples by their labels without `label`, in order of appearance.
    private static func grouped(_ samples: [Sample], dropping label: String) -> [(String, [Sample])] {
        var keys: [String] = []
        var groups: [String: [Sample]] = [:]
        for sample in samples {
            let key = sample.labels.filter { $0.key != label }.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
            if groups[key] == nil { keys.append(key) }
            groups[key, default: []].append(sample)
        }
        return keys.map { ($0, groups[$0]!) }
    }

    // MARK: Lines

    private static func parseSample(_ line: String) -> Sample? {
        let scalars = Array(line.unicodeScalars)
        var index = 0
        while index < scalars.count, scalars[index] != "{", scalars[index] != " " { index += 1 }
        let name = String(String.UnicodeScalarView(scalars[0..<index]))
        guard isMetricName(name), index < scalars.count else { return nil }
        var labels: [String: String] = [:]
        if scalars[index] == "{" {
            index += 1
            while index < scalars.count, scalars[index] != "}" {
                let start = index
                while index < scalars.count, scalars[index] != "=" { index += 1 }
                let label = String(String.UnicodeScalarView(scalars[start..<index]))
                guard isLabelName(label), !label.hasPrefix("__"), labels[label] == nil else { return nil }
                index += 1
                guard index < scalars.count, scalars[index] == "\"" else { return nil }
                index += 1
                var value = String.UnicodeScalarView()
                while index < scalars.count, scalars[index] != "\"" {
                    if scalars[index] == "\\" {
                        index += 1
                        guard index < scalars.count else { return nil }
                        switch scalars[index] {
                        case "\\": value.append("\\")
                        case "\"": value.append("\"")
                        case "n": value.append("\n")
                        default: return nil
                        }
                    } else {
                        value.append(scalars[index])
                    }
                    index += 1
                }
                guard index < scalars.count else { return nil }
                index += 1
                labels[label] = String(value)
                if index < scalars.count, scalars[index] == "," { index += 1 }
            }
            guard index < scalars.count else { return nil }
            index += 1
        }
        guard index < scalars.count, scalars[index] == " " else { return nil }
        let rest = String(String.UnicodeScalarView(scalars[(index + 1)...])).split(separator: " ", omittingEmptySubsequences: false)
        guard rest.count == 1 || (rest.count == 2 && Int64(rest[1]) != nil), let value = parseFloat(String(rest[0])) else { return nil }
        return Sample(name: name, labels: labels, value: value)
    }

    /// Go's `ParseFloat` forms the format allows: decimal with optional exponent, `+Inf`, `-Inf`, `NaN`.
    static func parseFloat(_ text: String) -> Double? {
        switch text {
        case "+Inf", "Inf": return .infinity
        case "-Inf": return -.infinity
        case "NaN": return .nan
        default:
            guard text.range(of: #"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"#, options: .regularExpression) != nil else { return nil }
            return Double(text)
        }
    }

    static func isMetricName(_ name: String) -> Bool {
        name.range(of: "^[a-zA-Z_:][a-zA-Z0-9_:]*$", options: .regularExpression) != nil
    }

    static func isLabelName(_ name: String) -> Bool {
        name.range(of: "^[a-zA-Z_][a-zA-Z0-9_]*$", options: .regularExpression) != nil
    }

    private static func unescape(_ text: String, quotes: Bool) -> String? {
        var result = String.UnicodeScalarView()
        var escaping = false
        for scalar in text.unicodeScalars {
            if escaping {
                switch scalar {
                case "\\": result.append("\\")
                case "n": result.append("\n")
                case "\"" where quotes: result.append("\"")
                default: return nil
                }
                escaping = false
            } else if scalar == "\\" {
                escaping = true
            } else {
                result.append(scalar)
            }
        }
        return escaping ? nil : String(result)
    }
}

extension Optional {
    /// The value, or `error` thrown.
    func unwrapped(or error: @autoclosure () -> some Error) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
