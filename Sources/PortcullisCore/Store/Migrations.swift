import Foundation
import GRDB

/// The ordered SQL migrations of `schema/`, embedded in the binary at build time.
public enum Migrations {
    /// `(name, sql)` in the order they apply, e.g. `("0001_directory", "CREATE TABLE …")`.
    public static let all: [(name: String, sql: String)] = EmbeddedFiles.all
        .filter { $0.key.hasSuffix(".sql") }
        .sorted { $0.key < $1.key }
        .map { (name: String($0.key.dropLast(4)), sql: String(decoding: Data(base64Encoded: $0.value) ?? Data(), as: UTF8.self)) }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        for migration in all {
            migrator.registerMigration(migration.name) { db in
                try db.execute(sql: migration.sql)
            }
        }
        return migrator
    }
}
