// Fuzz target `ndjson`: the import body (POST /api/v1/import spools it to a file; `portcullis import` reads a file).
//
// Bytes → a file → LineReader(path:) → for each line that is not blank, the parsing half of
// SQLiteStore.importLine (Sources/PortcullisCore/Store/SQLiteStore+Import.swift): JSONParser.parse(text.utf8),
// FieldReader, the `type` discriminator, then NewUser / NewTeam / (team_id, user_id, MembershipInput) / NewProject /
// NewGeneration with `importing: true`, and finish(). The database half (inserts, reference checks) and
// PasswordHasher.isSupported (Auth/PasswordHasher.swift, which needs OpenSSL) are not run.
//
// Checks: no crash, trap, leak or AddressSanitizer report; LineReader yields exactly the `\n`-separated lines of the
// input, numbered from 1, without their trailing `\r`s, decoded as UTF-8 (a reference split of the raw bytes); the
// JSON and field checks of the `json` target on every line; errors are invalid_field or invalid_json (400).
// Contract check `ndjson-utf8` (off by default, see README): a line whose raw bytes are not UTF-8 is never imported.
//
// Built with: Tests/fuzz/harness/common/*.swift + the `json` target's Model files + Support/LineReader.swift
//             (see Tests/fuzz/run.sh).

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One scratch file per process, unlinked at once and reached through /proc/self/fd, so a crash leaves nothing behind.
let scratch: (fd: CInt, path: String) = {
    var directory = "/dev/shm"
    if access(directory, W_OK) != 0 { directory = getenv("TMPDIR").map { String(cString: $0) } ?? "/tmp" }
    var template = Array("\(directory)/portcullis-fuzz-ndjson-XXXXXX".utf8CString)
    let fd = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
    guard fd >= 0 else { fatalError("mkstemp in \(directory) failed: errno \(errno)") }
    unlink(String(cString: template))
    return (fd, "/proc/self/fd/\(fd)")
}()

func writeScratch(_ bytes: UnsafeBufferPointer<UInt8>) {
    guard ftruncate(scratch.fd, 0) == 0 else { fatalError("ftruncate failed: errno \(errno)") }
    var written = 0
    while written < bytes.count {
        let result = pwrite(scratch.fd, bytes.baseAddress! + written, bytes.count - written, off_t(written))
        guard result > 0 else { fatalError("pwrite failed: errno \(errno)") }
        written += result
    }
}

/// What LineReader must yield: the input split after each `\n` (a last line without one counts), without that `\n` and
/// then one `\r` before it (a CRLF line end).
func referenceLines(_ bytes: UnsafeBufferPointer<UInt8>) -> [ArraySlice<UInt8>] {
    var lines: [ArraySlice<UInt8>] = []
    let all = Array(bytes)
    var start = 0
    for index in all.indices where all[index] == 0x0A {
        lines.append(all[start...index])
        start = index + 1
    }
    if start < all.count { lines.append(all[start...]) }
    return lines.map { line in
        var end = line.endIndex
        if end > line.startIndex, line[end - 1] == 0x0A { end -= 1 }
        if end > line.startIndex, line[end - 1] == 0x0D { end -= 1 }
        return line[line.startIndex..<end]
    }
}

/// The parsing half of SQLiteStore.importLine.
func importLine(_ text: Substring, raw: ArraySlice<UInt8>) {
    let value: JSONValue
    do throws(JSONParser.Failure) {
        value = try JSONParser.parse(text.utf8)
    } catch {
        JSONChecks.checkFailure(error, count: text.utf8.count)
        return
    }
    Array(text.utf8).withUnsafeBufferPointer { JSONChecks.checkAccepted(value, bytes: $0) }
    // LineReader must give invalid UTF-8 as a nil text (the import refuses the line), never a U+FFFD replacement.
    fuzzContract("ndjson-utf8", String(validating: raw, as: UTF8.self) != nil,
                 "an import line with invalid UTF-8 was parsed (LineReader replaced it with U+FFFD): \(fuzzHex(raw.prefix(256)))")
    do throws(PortcullisError) {
        var fields = try FieldReader(value)
        guard let type = try fields.string("type") else { throw PortcullisError.invalidField("type", "is required") }
        switch type {
        case "user":
            let input = try NewUser(&fields, importing: true)
            try fields.finish()
            FieldChecks.checkNewUser(input, importing: true)
        case "team":
            let input = try NewTeam(&fields, importing: true)
            try fields.finish()
            FieldChecks.checkNewTeam(input, importing: true)
        case "member":
            let teamId = try fields.requiredID("team_id")
            let userId = try fields.requiredID("user_id")
            let input = try MembershipInput(&fields, importing: true)
            try fields.finish()
            FieldChecks.checkID(teamId, "team_id")
            FieldChecks.checkID(userId, "user_id")
            FieldChecks.checkMembership(input, importing: true)
        case "project":
            let input = try NewProject(&fields, importing: true)
            try fields.finish()
            FieldChecks.checkNewProject(input, importing: true)
        case "generation":
            let input = try NewGeneration(&fields, importing: true)
            try fields.finish()
            FieldChecks.checkNewGeneration(input, importing: true)
        default:
            throw PortcullisError.invalidField("type", "must be one of user, team, member, project, generation")
        }
    } catch {
        FieldChecks.checkRejection(error, "import line")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: size == 0 ? nil : data, count: size)
    writeScratch(bytes)
    let expected = referenceLines(bytes)
    let reader: LineReader
    do throws(PortcullisError) {
        reader = try LineReader(path: scratch.path)
    } catch {
        fuzzFail("LineReader refused a readable file: \(error)")
    }
    var count = 0
    for (number, text) in reader {
        count += 1
        fuzzRequire(number == count, "line numbered \(number), expected \(count)")
        fuzzRequire(count <= expected.count, "LineReader yielded more lines than the input has (\(count) > \(expected.count))")
        let raw = expected[count - 1]
        guard let text else {
            // Refused by the import as "not valid UTF-8".
            fuzzContract("ndjson-utf8", String(validating: raw, as: UTF8.self) == nil, "line \(number) is valid UTF-8 but was read as invalid")
            continue
        }
        fuzzRequire(String(text) == String(validating: raw, as: UTF8.self),
                    "line \(number) read as \(String(text).quoted), expected the bytes \(fuzzHex(raw.prefix(256)))")
        fuzzRequire(!text.utf8.contains(0x0A), "line \(number) kept a line break")
        if text.allSatisfy(\.isWhitespace) { continue } // importRecords skips blank lines
        importLine(text, raw: raw)
    }
    fuzzRequire(count == expected.count, "LineReader yielded \(count) lines, the input has \(expected.count)")
    return 0
}
