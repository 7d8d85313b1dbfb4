import Foundation
import Logging
import PortcullisCore
import PortcullisHTTP

/// Fills an empty database with `DemoDirectory`, and says how to use it once the server listens.
enum DemoLoader {
    /// Loads the demo data into an empty database.
    /// - Returns: what to print once the server listens, given the port it bound (`--port 0` picks one); nil when the
    ///   database already had users.
    static func load(into settings: ServerSettings, logger: Logger) async throws -> (@Sendable (Int) -> Void)? {
        try DataDirectory.prepare(settings.dataDirectory)
        let store = try SQLiteStore(settings.storeConfiguration)
        let existing = try await store.users(PageRequest(limit: 1))
        guard existing.items.isEmpty else {
            logger.info("--demo: the database already has users; leaving it as it is")
            return nil
        }
        let lines = DemoDirectory.lines(hasher: PasswordHasher(iterations: settings.passwordIterations))
        let records = lines.enumerated().map { (line: $0.offset + 1, text: Optional(Substring($0.element))) }
        let written = try WriteAttribution.$current.withValue(WriteAttribution(actor: .cli("demo"))) {
            try store.importRecords(from: records, hasher: PasswordHasher())
        }
        let counts = written.value
        let keyHint = settings.adminKey != nil ? "the key in PORTCULLIS_ADMIN_KEY" : "$(cat \(settings.dataDirectory)/admin.key)"
        let host = settings.host
        return { port in
            // Straight to the descriptor, not print(): piped or under systemd, stdout is fully buffered and the
            // instructions would wait in the buffer until the server exits.
            FileHandle.standardOutput.write(Data("""
                Demo organisation loaded: \(counts.users) users, \(counts.teams) teams, \(counts.members) memberships, \
                \(counts.projects) projects, \(counts.generations) generations.
                  Administrator: \(DemoDirectory.adminEmail) / \(DemoDirectory.password)
                  Team member:   \(DemoDirectory.memberEmail) / \(DemoDirectory.password)
                  Admin API key: \(keyHint) (created on first start)
                Try:
                  curl -s -H "Authorization: Bearer \(keyHint)" -H 'Content-Type: application/json' \\
                    -d '{"user_id":"bob","action":"read","resource_type":"generation","resource_id":"gen-00001","explain":true}' \\
                    http://\(host):\(port)/api/v1/authz/check

                """.utf8))
        }
    }
}
