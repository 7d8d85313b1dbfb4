import Foundation

/// JUnit XML of a run, the form CI systems (GitHub Actions reporters, GitLab's `artifacts:reports:junit`) read: one
/// `<testsuite>` per file, one `<testcase>` per case (its name starts with the YAML line), `<failure>` with the
/// message a failing case printed, and an invalid file as a suite holding one `<error>`.
enum JUnitReport {
    static func xml(_ results: [PolicySuiteResult]) -> String {
        let tests = results.reduce(0) { $0 + max($1.cases.count, $1.invalid == nil ? 0 : 1) }
        let failures = results.reduce(0) { $0 + $1.failures.count }
        let errors = results.filter { $0.invalid != nil }.count
        let time = results.reduce(0) { $0 + $1.seconds }
        var xml = #"<?xml version="1.0" encoding="UTF-8"?>"# + "\n"
        xml += #"<testsuites name="portcullis test" tests="\#(tests)" failures="\#(failures)" errors="\#(errors)" time="\#(seconds(time))">"# + "\n"
        for result in results {
            let name = escape(result.path)
            if let invalid = result.invalid {
                xml += #"  <testsuite name="\#(name)" tests="1" failures="0" errors="1" time="\#(seconds(result.seconds))">"# + "\n"
                xml += #"    <testcase classname="\#(name)" name="\#(escape("line \(invalid.line ?? 0): the file"))">"# + "\n"
                xml += #"      <error message="\#(escape(invalid.message))" type="invalid_file">\#(escape(invalid.description))</error>"# + "\n"
                xml += "    </testcase>\n  </testsuite>\n"
                continue
            }
            xml += #"  <testsuite name="\#(name)" tests="\#(result.cases.count)" failures="\#(result.failures.count)" errors="0" time="\#(seconds(result.seconds))">"# + "\n"
            for test in result.cases {
                let caseName = escape("line \(test.line): \(test.name)")
                if let failure = test.failure {
                    let summary = failure.split(separator: "\n", maxSplits: 1).first.map(String.init) ?? failure
                    xml += #"    <testcase classname="\#(name)" name="\#(caseName)">"# + "\n"
                    xml += #"      <failure message="\#(escape(summary))" type="assertion">\#(escape("\(result.path):\(test.line): \(failure)"))</failure>"# + "\n"
                    xml += "    </testcase>\n"
                } else {
                    xml += #"    <testcase classname="\#(name)" name="\#(caseName)"/>"# + "\n"
                }
            }
            xml += "  </testsuite>\n"
        }
        return xml + "</testsuites>\n"
    }

    private static func seconds(_ value: Double) -> String { String(format: "%.3f", value) }

    /// Text for an XML attribute or element: the five entities escaped, and characters XML 1.0 cannot hold dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            case "\n": out += "&#10;"
            case "\t", "\r": out.unicodeScalars.append(scalar)
            default:
                let value = scalar.value
                if value < 0x20 || value == 0xFFFE || value == 0xFFFF { continue }
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }
}
