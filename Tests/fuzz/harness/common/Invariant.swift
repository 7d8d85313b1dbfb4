// Shared by every fuzz harness: how a harness reports a broken invariant, and which contract checks are switched off.
//
// A broken invariant traps (fatalError), which libFuzzer reports as a crash and saves as `crash-<sha1>`, the same as a
// Swift runtime trap (overflow, out-of-bounds index, force-unwrap of nil) or an AddressSanitizer report in the code under
// test. Nothing here depends on the project's sources, so every harness can compile it.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Named contract checks that are switched off, from the environment variable `FUZZ_SKIP` (comma-separated names).
/// Only checks that describe a *documented behaviour the code does not have yet* are named; memory safety, traps, error
/// codes and round trips are never skippable. `run.sh` sets the default list (known, reported, unfixed findings).
let fuzzSkippedChecks: Set<String> = {
    guard let raw = getenv("FUZZ_SKIP") else { return [] }
    return Set(String(cString: raw).split(separator: ",").map { String($0).trimmingSpaces() }.filter { !$0.isEmpty })
}()

/// Whether the named contract check runs in this process.
@inline(__always)
func fuzzChecks(_ name: String) -> Bool { !fuzzSkippedChecks.contains(name) }

/// Traps with a message when `condition` is false.
@inline(__always)
func fuzzRequire(_ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fuzzFail(message(), file: file, line: line) }
}

/// Traps when `condition` is false, unless the named contract check is switched off by `FUZZ_SKIP`.
@inline(__always)
func fuzzContract(_ name: String, _ condition: Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition && fuzzChecks(name) { fuzzFail("[\(name)] \(message())", file: file, line: line) }
}

@inline(never)
func fuzzFail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("fuzz invariant violated: \(message)", file: file, line: line)
}

extension String {
    fileprivate func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while scalars.first == " " { scalars.removeFirst() }
        while scalars.last == " " { scalars.removeLast() }
        return String(scalars)
    }

    /// The string as a Swift literal with every scalar outside printable ASCII escaped (`"\u{212A}its"`), for messages:
    /// look-alikes and combining marks stay visible.
    var quoted: String {
        var out = "\""
        for scalar in unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case " "..."~": out.unicodeScalars.append(scalar)
            default: out += "\\u{\(String(scalar.value, radix: 16, uppercase: true))}"
            }
        }
        return out + "\""
    }
}

/// Bytes as a hex string, for messages.
func fuzzHex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var out: [UInt8] = []
    for byte in bytes {
        out.append(digits[Int(byte >> 4)])
        out.append(digits[Int(byte & 0x0F)])
    }
    return String(decoding: out, as: UTF8.self)
}
