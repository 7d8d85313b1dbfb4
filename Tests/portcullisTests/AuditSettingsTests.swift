import PortcullisCore
import PortcullisHTTP
import Testing

/// The `[audit]` table (SPEC 8.2): retention and the change stream's keep-alive.
@Suite("Settings: [audit]")
struct AuditSettingsTests {
    @Test("defaults: 90 days, a keep-alive every 15 s")
    func defaults() throws {
        let settings = try SettingsLoader.load(configText: nil, environment: [:], flags: [:])
        #expect(settings.audit.retentionDays == 90 && settings.audit.streamKeepAlive == .seconds(15))
    }

    @Test("the [audit] table and its environment variables")
    func table() throws {
        let file = try SettingsLoader.load(configText: "[audit]\nretention_days = 7\nstream_keepalive_seconds = 5\n", environment: [:], flags: [:])
        #expect(file.audit.retentionDays == 7 && file.audit.streamKeepAlive == .seconds(5))
        let environment = try SettingsLoader.load(configText: "[audit]\nretention_days = 7\n",
                                                  environment: ["PORTCULLIS_AUDIT_RETENTION_DAYS": "30"], flags: [:])
        #expect(environment.audit.retentionDays == 30)
    }

    @Test("bad values name the key", arguments: ["retention_days = 0", "retention_days = \"soon\"", "stream_keepalive_seconds = 0", "sample = 1"])
    func badValues(_ line: String) {
        #expect(throws: PortcullisError.self) { try SettingsLoader.load(configText: "[audit]\n\(line)\n", environment: [:], flags: [:]) }
    }
}
