import Testing

@testable import PortcullisPostgres

/// The embedded PostgreSQL migrations: present, ordered, and split into single statements (PostgresNIO sends one
/// statement at a time). No server needed.
@Suite("PostgreSQL migrations")
struct PostgresMigrationsTests {
    @Test("schema/postgres is embedded, in order, and every file splits into statements that each end the way they began")
    func embedded() {
        #expect(PostgresMigrations.all.first?.name == "0001_schema")
        #expect(PostgresMigrations.all.map(\.name) == PostgresMigrations.all.map(\.name).sorted())
        for migration in PostgresMigrations.all {
            let statements = PostgresMigrations.statements(migration.sql)
            #expect(!statements.isEmpty, "\(migration.name)")
            for statement in statements {
                #expect(statement.hasSuffix(";"), "\(migration.name): a statement ends with ';'")
                #expect(statement.dropLast().firstIndex(of: ";") == nil || statement.contains("'"),
                        "\(migration.name): one statement per piece: \(statement.prefix(80))")
            }
        }
    }

    @Test("comments and blank lines are dropped; a statement may span lines")
    func splitting() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (
                id INTEGER -- trailing comment stays inside
            );

            INSERT INTO a VALUES (1);
            """
        #expect(PostgresMigrations.statements(sql) == [
            "CREATE TABLE a (\n    id INTEGER -- trailing comment stays inside\n);", "INSERT INTO a VALUES (1);",
        ])
    }
}
