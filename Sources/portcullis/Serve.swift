import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PortcullisCore
import PortcullisHTTP

/// `portcullis serve`: runs the HTTP server until SIGTERM or SIGINT.
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the server.",
        discussion: """
            Settings come from flags, then PORTCULLIS_* environment variables, then the config file, then defaults \
            (data in ./data, listen on 127.0.0.1:8080). See docs/configuration.md.
            """)

    @Option(help: "A TOML config file (also PORTCULLIS_CONFIG).") var config: String?
    @Option(help: "Address to listen on (default 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default 8080; 0 picks a free one).") var port: Int?
    @Option(name: .customLong("data-dir"), help: "Directory of the database and admin.key (default ./data).") var dataDir: String?
    @Flag(help: "Fill an empty database with a demo organisation and print how to use it.") var demo = false

    func run() async throws {
        // Settings first: they choose the log format (an invalid one stops here, before anything is logged).
        let settings = try CommandSettings.resolve(config: config, flags: [
            "server.host": host, "server.port": port.map(String.init), "storage.data_dir": dataDir,
        ])
        let level = Logger.Level(rawValue: ProcessInfo.processInfo.environment["LOG_LEVEL"] ?? "") ?? .info
        LoggingSystem.bootstrap { label in settings.logFormat.handler(label: label, level: level) }
        let logger = Logger(label: "portcullis")
        try ServeLock.hold(settings.dataDirectory)
        let demoInstructions = demo ? try await DemoLoader.load(into: settings, logger: logger) : nil
        let app = try await buildApplication(settings, logger: logger) { port in
            // With the bound port: `--port 0` picks one.
            demoInstructions?(port)
            logger.notice("Portcullis \(PortcullisVersion.current) listening", metadata: ["address": "http://\(settings.host):\(port)"])
        }
        try await app.runService()
    }
}

/// Reads the config file named by the flag or `PORTCULLIS_CONFIG`, then applies precedence.
enum CommandSettings {
    static func resolve(config: String?, flags: [String: String?]) throws -> ServerSettings {
        let environment = ProcessInfo.processInfo.environment
        let configPath = config ?? environment["PORTCULLIS_CONFIG"]
        var text: String?
        if let configPath {
            guard let data = FileManager.default.contents(atPath: configPath) else {
                throw ValidationError("cannot read config file \(configPath)")
            }
            text = String(decoding: data, as: UTF8.self)
        }
        do {
            return try SettingsLoader.load(configText: text, environment: environment, flags: flags.compactMapValues { $0 })
        } catch {
            // With its code, so an operator reading the journal sees it is the configuration (invalid_config, invalid_field).
            throw ValidationError(error.description)
        }
    }
}
