import Foundation
import Logging
import PortcullisModel
import PostgresNIO

/// The ordered SQL migrations of `schema/postgres/`, embedded in the binary at build time, and how they are applied.
///
/// At open, in one transaction: take a transaction-scoped advisory lock (several nodes starting together apply each
/// migration once), create `schema_migrations` if absent, then run every migration not yet listed there and list it.
/// A failure rolls everything back and the store does not open.
///
/// PostgresNIO speaks only the extended query protocol, which takes one statement at a time, so a migration file is
/// split at each `;` that ends a line: a migration must not hold a `;` at the end of a line inside a statement
/// (a function body, a string). `PostgresMigrationsTests` checks every shipped file splits into statements.
public enum PostgresMigrations {
    /// `(name, sql)` in the order they apply, e.g. `("0001_schema", "CREATE TABLE …")`.
    public static let all: [(name: String, sql: String)] = EmbeddedPostgresSchema.all
        .filter { $0.key.hasSuffix(".sql") && !$0.key.contains("/") }
        .sorted { $0.key < $1.key }
        .map { (name: String($0.key.dropLast(4)), sql: String(decoding: Data(base64Encoded: $0.value) ?? Data(), as: UTF8.self)) }

    /// The advisory lock key migrations hold (an arbitrary constant: "portcullis" in ASCII, truncated).
    static let lockKey: Int64 = 0x706f_7274_6375_6c6c

    /// The statements of one migration: comment lines dropped, split at every `;` that ends a line.
    public static func statements(_ sql: String) -> [String] {
        var statements: [String] = []
        var current = ""
        for line in sql.split(separator: "\n", omittingEmptySubsequences: false) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("--") || trimmed.isEmpty { continue }
            current += line + "\n"
            if trimmed.hasSuffix(";") {
                statements.append(current.trimmingCharacters(in: .whitespacesAndNewlines))
                current = ""
            }
        }
        let rest = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !rest.isEmpty { statements.append(rest) }
        return statements
    }

    /// Applies the pending migrations on `connection` in one transaction; returns the names it applied.
    /// - Throws: `migration_failed` naming the migration and PostgreSQL's message; nothing is applied then.
    static func apply(on connection: PostgresConnection, schema: String?, logger: Logger) throws -> [String] {
        func run(_ sql: String) throws -> [PostgresRow] {
            try connection.query(PostgresQuery(unsafeSQL: sql), logger: logger).wait().rows
        }
        var applied: [String] = []
        do {
            _ = try run("BEGIN")
            do {
                _ = try run("SELECT pg_advisory_xact_lock(\(lockKey))")
                if let schema { _ = try run("CREATE SCHEMA IF NOT EXISTS \(schema)") }
                _ = try run("CREATE TABLE IF NOT EXISTS schema_migrations (name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
                let done = Set(try run("SELECT name FROM schema_migrations").map { try $0.decode(String.self) })
                for migration in all where !done.contains(migration.name) {
                    do {
                        for statement in statements(migration.sql) { _ = try run(statement) }
                    } catch {
                        throw PortcullisError(.migrationFailed, "PostgreSQL migration \(migration.name) failed: \(PostgresStore.describe(error))")
                    }
                    var binds = PostgresBindings()
                    binds.append(migration.name)
                    _ = try connection.query(PostgresQuery(unsafeSQL: "INSERT INTO schema_migrations (name) VALUES ($1)", binds: binds),
                                             logger: logger).wait()
                    applied.append(migration.name)
                }
                _ = try run("COMMIT")
            } catch {
                _ = try? run("ROLLBACK")
                throw error
            }
        } catch let error as PortcullisError {
            throw error
        } catch {
            throw PortcullisError(.migrationFailed, "cannot apply the PostgreSQL migrations: \(PostgresStore.describe(error))")
        }
        return applied
    }
}
