import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite

/// Counts of entities stored by an import.
public struct ImportCounts: Sendable, Equatable, Codable {
    /// User lines stored.
    public var users = 0
    /// Team lines stored (each also creates its owner's membership, not counted in `members`).
    public var teams = 0
    /// Membership lines stored (created or replaced).
    public var members = 0
    /// Project lines stored.
    public var projects = 0
    /// Generation lines stored.
    public var generations = 0

    /// All zero.
    public init() {}
}

/// The NDJSON import (SPEC section 4): every line in one transaction, or nothing.
public protocol ImportStore: Sendable {
    /// Stores every record of an NDJSON stream in one transaction, or nothing: any bad line is a 422
    /// `invalid_import` listing (up to 100) line errors, and nothing is stored, not even a revision.
    /// A line whose text is nil was not valid UTF-8 (`LineReader`); it is an error like any other bad line.
    ///
    /// Synchronous: it streams a file through one transaction and is run off the request executor by its callers.
    /// - Parameter hasher: hashes a clear-text `password` field (slow by design).
    ///
    /// ```swift
    /// let written = try store.importRecords(from: LineReader(path: "directory.ndjson"), hasher: PasswordHasher())
    /// print(written.value.users, written.revision)
    /// ```
    @discardableResult
    func importRecords(from lines: some Sequence<(line: Int, text: Substring?)>, hasher: PasswordHasher) throws
        -> Written<ImportCounts>
}

/// One line of the import format, parsed and validated; what each backend inserts.
public enum ImportRecord: Sendable {
    /// A user, with the PHC hash to store: `password_hash` as given, or the hash of a clear `password`, or nil.
    case user(NewUser, passwordHash: String?)
    /// A team (its owner becomes a member with role `owner`).
    case team(NewTeam)
    /// A membership of `userId` in `teamId`, created or replaced.
    case member(teamId: String, userId: String, MembershipInput)
    /// A project.
    case project(NewProject)
    /// A generation.
    case generation(NewGeneration)

    /// At most this many line errors are reported; the import stops looking after that.
    public static let maxErrors = 100

    /// Parses one line (`{"type": "user"|"team"|"member"|"project"|"generation", ...fields}`).
    public static func parse(_ text: Substring, hasher: PasswordHasher) throws(PortcullisError) -> ImportRecord {
        var fields = try fieldReader(text)
        guard let type = try fields.string("type") else { throw PortcullisError.invalidField("type", "is required") }
        let record: ImportRecord
        switch type {
        case "user":
            let input = try NewUser(&fields, importing: true)
            if let phc = input.passwordHash, !PasswordHasher.isSupported(phc) {
                throw PortcullisError.invalidField("password_hash", "is not a supported PHC string (\(PasswordHasher.algorithm))")
            }
            try fields.finish()
            record = .user(input, passwordHash: input.passwordHash ?? input.password.map(hasher.hash))
        case "team":
            record = .team(try NewTeam(&fields, importing: true))
        case "member":
            let teamId = try fields.requiredID("team_id")
            let userId = try fields.requiredID("user_id")
            record = .member(teamId: teamId, userId: userId, try MembershipInput(&fields, importing: true))
        case "project":
            record = .project(try NewProject(&fields, importing: true))
        case "generation":
            record = .generation(try NewGeneration(&fields, importing: true))
        default:
            throw PortcullisError.invalidField("type", "must be one of user, team, member, project, generation")
        }
        try fields.finish()
        return record
    }

    /// The line's fields: a flat object of plain strings and booleans (every line an export writes) is read in one pass
    /// without a dictionary (`FlatJSONObject`, held to `JSONParser` by a differential test); anything else, and every
    /// malformed line, goes through `JSONParser`, whose message the line error carries.
    static func fieldReader(_ text: Substring) throws(PortcullisError) -> FieldReader {
        if let flat = text.utf8.withContiguousStorageIfAvailable({ FlatJSONObject.fields(UnsafeRawBufferPointer($0)) }), let flat {
            return FieldReader(distinctFields: flat)
        }
        let value: JSONValue
        do {
            value = try JSONParser.parse(text.utf8)
        } catch {
            throw PortcullisError(.invalidJSON, "not valid JSON: \(error.reason) at byte \(error.offset)")
        }
        return try FieldReader(value)
    }

    /// Runs an import: parses each non-blank line and hands it to `insert` (the backend's, inside its transaction),
    /// collecting line errors; throws `invalid_import` when there were any, so the backend rolls back.
    /// - Parameter mapError: turns a backend's own error (a constraint) into the spec's, for the line's message.
    public static func run(_ lines: some Sequence<(line: Int, text: Substring?)>, hasher: PasswordHasher,
                           mapError: (any Error) -> PortcullisError, insert: (ImportRecord) throws -> Void) throws -> ImportCounts {
        var counts = ImportCounts()
        var errors: [PortcullisError.LineError] = []
        for (number, text) in lines {
            guard let text else {
                errors.append(.init(line: number, message: "not valid UTF-8"))
                if errors.count >= maxErrors { break }
                continue
            }
            if text.allSatisfy(\.isWhitespace) { continue }
            do {
                let record = try parse(text, hasher: hasher)
                try insert(record)
                counts.count(record)
            } catch let error as PortcullisError {
                errors.append(.init(line: number, message: error.message))
            } catch {
                errors.append(.init(line: number, message: mapError(error).message))
            }
            if errors.count >= maxErrors { break }
        }
        guard errors.isEmpty else {
            throw PortcullisError(.invalidImport, "\(errors.count == maxErrors ? "at least " : "")\(errors.count) invalid line(s); nothing was imported",
                                  details: errors)
        }
        return counts
    }
}

extension ImportCounts {
    mutating func count(_ record: ImportRecord) {
        switch record {
        case .user: users += 1
        case .team: teams += 1
        case .member: members += 1
        case .project: projects += 1
        case .generation: generations += 1
        }
    }
}
