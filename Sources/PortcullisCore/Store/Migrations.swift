import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import Foundation
import GRDB

/// The ordered SQL migrations of `schema/`, embedded in the binary at build time.
public enum Migrations {
    /// `(name, sql)` in the order they apply, e.g. `("0001_directory", "CREATE TABLE …")`. Only the folder's own files:
    /// `schema/postgres/` holds the PostgreSQL backend's migrations.
    public static let all: [(name: String, sql: String)] = EmbeddedFiles.all
        .filter { $0.key.hasSuffix(".sql") && !$0.key.contains("/") }
        .sorted { $0.key < $1.key }
        .map { (name: String($0.key.dropLast(4)), sql: String(decoding: Data(base64Encoded: $0.value) ?? Data(), as: UTF8.self)) }

    /// Data steps SQL cannot express, run right after the SQL of the migration they belong to, in its transaction.
    static let dataSteps: [String: @Sendable (Database) throws -> Void] = [
        "0004_hardening": normalizeEmails,
        "0010_check_comparisons": checksAsComparisons,
    ]

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in all {
            let step = dataSteps[migration.name]
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
                try step?(db)
            }
        }
        return migrator
    }

    /// Folds the emails SQLite's ASCII-only `lower()` left alone (those with non-ASCII characters) the way
    /// `Validate.normalizedEmail` does, then makes live emails unique in that form. Two live users whose emails differ
    /// only in letter case cannot both keep theirs: the migration then fails, naming the email, and changes nothing.
    static func normalizeEmails(_ db: Database) throws {
        let rows = try Row.fetchAll(db, sql: "SELECT id, email FROM users WHERE email GLOB '*[^ -~]*'")
        for row in rows {
            let email: String = row["email"]
            let normalized = email.trimmingWhitespace.lowercased()
            if normalized != email {
                try db.execute(sql: "UPDATE users SET email = ? WHERE id = ?", arguments: [normalized, row["id"] as String])
            }
        }
        if let duplicate = try String.fetchOne(db, sql: """
            SELECT email FROM users WHERE deleted_at IS NULL GROUP BY email HAVING count(*) > 1 LIMIT 1
            """) {
            throw PortcullisError(.migrationFailed, "two live users share the email '\(duplicate)' once letter case is ignored; give one of them another email first")
        }
        try db.execute(sql: "CREATE UNIQUE INDEX users_email_live ON users (email) WHERE deleted_at IS NULL")
    }

    /// The value lists of schema/0010_check_comparisons.sql: (table, column, values), as the earlier migrations wrote them.
    static let comparedLists: [(table: String, column: String, values: [String])] = [
        ("generations", "status", ["pending", "running", "completed", "failed"]),
        ("projects", "visibility", ["private", "team", "public"]),
        ("team_members", "role", ["owner", "admin", "editor", "viewer"]),
        ("changes", "entity", ["user", "team", "member", "project", "generation", "api_key"]),
        ("changes", "op", ["create", "update", "delete", "expire", "activate"]),
        ("change_revisions", "actor_kind", ["api_key", "user", "cli", "system"]),
    ]

    /// Rewrites each `column IN ('a', 'b', …)` constraint of `comparedLists` as `(column = 'a' OR column = 'b' …)` in the
    /// stored schema, then moves the schema version on so every connection reloads it. A table whose text does not hold
    /// the constraint exactly once fails the migration, which then changes nothing.
    static func checksAsComparisons(_ db: Database) throws {
        let version = try Int.fetchOne(db, sql: "PRAGMA schema_version") ?? 0
        try db.execute(sql: "PRAGMA writable_schema = ON")
        defer { try? db.execute(sql: "PRAGMA writable_schema = OFF") }
        for list in comparedLists {
            let quoted = list.values.map { "'\($0)'" }
            let old = "\(list.column) IN (" + quoted.joined(separator: ", ") + ")"
            let new = "(" + quoted.map { "\(list.column) = \($0)" }.joined(separator: " OR ") + ")"
            let sql = try String.fetchOne(db, sql: "SELECT sql FROM sqlite_schema WHERE type = 'table' AND name = ?", arguments: [list.table])
            guard let sql, sql.components(separatedBy: old).count == 2 else {
                throw PortcullisError(.migrationFailed, "table \(list.table) does not hold the constraint \(old) exactly once")
            }
            try db.execute(sql: "UPDATE sqlite_schema SET sql = ? WHERE type = 'table' AND name = ?",
                           arguments: [sql.replacingOccurrences(of: old, with: new), list.table])
        }
        try db.execute(sql: "PRAGMA schema_version = \(version + 1)")
    }
}
