import Foundation
@testable import PortcullisHTTP
import Testing

/// The files of `packaging/` that the .deb installs, checked against the code they describe.
@Suite("Packaging")
struct PackagingTests {
    static let packaging = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("packaging")

    @Test("the installed portcullis.toml lists every option, and loads with each one uncommented")
    func configListsEveryOption() throws {
        let text = try String(contentsOf: Self.packaging.appendingPathComponent("portcullis.toml"), encoding: .utf8)
        let asShipped = try SettingsLoader.load(configText: text, environment: [:], flags: [:])
        #expect(asShipped.dataDirectory == "/var/lib/portcullis")

        // `#key = value` lines are the commented options; a `#` followed by a space is prose.
        let uncommented = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("#") && !line.hasPrefix("# ") && line.contains("=") ? line.dropFirst() : line
        }.joined(separator: "\n")
        let keys = Set(try ConfigFile.parse(uncommented).keys)
        let optionLines = text.split(separator: "\n").filter { $0.contains(" = ") && !$0.hasPrefix("# ") }
        #expect(optionLines.count == keys.count, "each option once: \(optionLines.count) lines for \(keys.count) keys")
        let known = Set(SettingsLoader.options.map(\.key))
        #expect(keys == known, """
            packaging/portcullis.toml must list every option of SettingsLoader, commented out with its default: \
            missing \(known.subtracting(keys).sorted()), unknown \(keys.subtracting(known).sorted())
            """)
        let defaults = ServerSettings()
        let listed = try SettingsLoader.load(configText: uncommented, environment: [:], flags: [:])
        #expect(listed.port == defaults.port && listed.host == defaults.host && listed.maxBodyBytes == defaults.maxBodyBytes)
        #expect(listed.passwordIterations == defaults.passwordIterations && listed.tokenLifetimeSeconds == defaults.tokenLifetimeSeconds)
        #expect(listed.mediaURLLifetimeSeconds == defaults.mediaURLLifetimeSeconds && listed.backlog == defaults.backlog)
        #expect(listed.cacheL1BudgetBytes == defaults.cacheL1BudgetBytes && listed.cacheL3TTLSeconds == defaults.cacheL3TTLSeconds)
    }

    @Test("the unit runs the installed binary on the installed config, as the service user, hardened")
    func unit() throws {
        let unit = try String(contentsOf: Self.packaging.appendingPathComponent("portcullis.service"), encoding: .utf8)
        for line in ["ExecStart=/usr/bin/portcullis serve --config /etc/portcullis/portcullis.toml", "User=portcullis",
                     "StateDirectory=portcullis", "ProtectSystem=strict", "NoNewPrivileges=yes", "PrivateTmp=yes",
                     "RestrictAddressFamilies=AF_INET AF_INET6 AF_UNIX", "CapabilityBoundingSet=\n", "Restart=on-failure",
                     "KillSignal=SIGTERM", "TimeoutStopSec="] {
            #expect(unit.contains(line), "\(line)")
        }
    }
}
