import Foundation
import GRDB

extension SQLiteStore {
    /// At most this many line errors are reported; the import stops looking after that.
    static let maxImportErrors = 100

    public func importRecords(from lines: some Sequence<(line: Int, text: Substring)>, hasher: PasswordHasher) throws -> Written<ImportCounts> {
        try bulkWrite { db in
            var counts = ImportCounts()
            var errors: [PortcullisError.LineError] = []
            for (number, text) in lines {
                if text.allSatisfy(\.isWhitespace) { continue }
                do {
                    try Self.importLine(db, text, hasher: hasher, counts: &counts)
                } catch let error as PortcullisError {
                    errors.append(.init(line: number, message: error.message))
                } catch let error as DatabaseError {
                    errors.append(.init(line: number, message: Self.mapped(error).message))
                }
                if errors.count >= Self.maxImportErrors { break }
            }
            guard errors.isEmpty else {
                throw PortcullisError(.unprocessable, code: "invalid_import",
                                      "\(errors.count == Self.maxImportErrors ? "at least " : "")\(errors.count) invalid line(s); nothing was imported",
                                      details: errors)
            }
            return counts
        }
    }

    private static func importLine(_ db: Database, _ text: Substring, hasher: PasswordHasher, counts: inout ImportCounts) throws {
        let value: JSONValue
        do {
            value = try JSONParser.parse(text.utf8)
        } catch {
            throw PortcullisError(.invalid, code: "invalid_json", "not valid JSON: \(error.reason) at byte \(error.offset)")
        }
        var fields = try FieldReader(value)
        guard let type = try fields.string("type") else { throw PortcullisError.invalidField("type", "is required") }
        switch type {
        case "user":
            let input = try NewUser(&fields, importing: true)
            try fields.finish()
            if let phc = input.passwordHash, !PasswordHasher.isSupported(phc) {
                throw PortcullisError.invalidField("password_hash", "is not a supported PHC string (\(PasswordHasher.algorithm))")
            }
            _ = try insertUser(db, input, passwordHash: input.passwordHash ?? input.password.map(hasher.hash))
            counts.users += 1
        case "team":
            let input = try NewTeam(&fields, importing: true)
            try fields.finish()
            _ = try insertTeam(db, input)
            counts.teams += 1
        case "member":
            let teamId = try fields.requiredID("team_id")
            let userId = try fields.requiredID("user_id")
            let input = try MembershipInput(&fields, importing: true)
            try fields.finish()
            try requireReference(db, .teams, teamId, field: "team_id")
            try requireReference(db, .users, userId, field: "user_id")
            try upsertMember(db, teamId: teamId, userId: userId, input)
            counts.members += 1
        case "project":
            let input = try NewProject(&fields, importing: true)
            try fields.finish()
            _ = try insertProject(db, input)
            counts.projects += 1
        case "generation":
            let input = try NewGeneration(&fields, importing: true)
            try fields.finish()
            _ = try insertGeneration(db, input)
            counts.generations += 1
        default:
            throw PortcullisError.invalidField("type", "must be one of user, team, member, project, generation")
        }
    }
}
