import ArgumentParser
import Foundation

/// `portcullis test FILE.yaml…`: policy tests, offline (SPEC 8.5, docs/testing-policies.md).
struct PolicyTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test",
        abstract: "Run authorization tests written in YAML against a temporary database, offline.",
        discussion: """
            Each file holds data (import lines, or {file: NAME.ndjson}), then checks, resources and subjects with the \
            answers expected; an optional now: (RFC 3339) fixes the clock. Failures are printed as FILE:LINE with \
            expected and actual answers and the rules evaluated. Exit status: 0 every case passed, 1 a case failed, \
            2 a file is invalid (unknown key, wrong type, bad data).
            """)

    @Argument(help: "Policy test files (YAML).") var files: [String]
    @Option(help: "Also write the results as JUnit XML to this file.") var junit: String?

    func run() throws {
        var results: [PolicySuiteResult] = []
        for file in files {
            let result: PolicySuiteResult
            do {
                result = PolicySuiteRunner(suite: try PolicySuite.load(path: file)).run()
            } catch {
                results.append(PolicySuiteResult(path: file, invalid: error))
                report(results.last!)
                continue
            }
            results.append(result)
            report(result)
        }
        if let junit {
            do {
                try Data(JUnitReport.xml(results).utf8).write(to: URL(fileURLWithPath: junit), options: .atomic)
            } catch {
                FileHandle.standardError.write(Data("cannot write \(junit): \(error.localizedDescription)\n".utf8))
                throw ExitCode(2)
            }
        }
        let cases = results.reduce(0) { $0 + $1.cases.count }
        let failed = results.reduce(0) { $0 + $1.failures.count }
        let invalid = results.filter { $0.invalid != nil }.count
        print("\(files.count) file\(files.count == 1 ? "" : "s"), \(cases) case\(cases == 1 ? "" : "s"): \(cases - failed) passed, \(failed) failed"
            + (invalid > 0 ? ", \(invalid) invalid file\(invalid == 1 ? "" : "s")" : ""))
        if invalid > 0 { throw ExitCode(2) }
        if failed > 0 { throw ExitCode(1) }
    }

    private func report(_ result: PolicySuiteResult) {
        if let invalid = result.invalid {
            FileHandle.standardError.write(Data("\(invalid.description)\n".utf8))
            print("INVALID \(result.path)")
            return
        }
        for test in result.cases {
            guard let failure = test.failure else { continue }
            print("FAIL \(result.path):\(test.line): \(test.name)\n  " + failure.replacingOccurrences(of: "\n", with: "\n  "))
        }
        let failed = result.failures.count
        print("\(failed == 0 ? "ok  " : "FAIL") \(result.path): \(result.cases.count - failed) passed, \(failed) failed")
    }
}
