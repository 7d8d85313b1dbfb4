import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis keys`: the media URL signing keys, in `<data-dir>/signing-keys` or, with `--postgres-url`, in the
/// PostgreSQL database a deployment's nodes share.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the signing keys of media URLs.",
        discussion: """
            A running server picks up changes within a second. With --postgres-url the keys are the ones every node \
            of a PostgreSQL deployment shares (each node within a second, at most five).
            """,
        subcommands: [List.self, Rotate.self, Retire.self])

    struct Location: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The data directory (default ./data).") var dataDir = "./data"
        @Option(name: .customLong("postgres-url"), help: "The keys of this PostgreSQL database instead of the data directory's file.")
        var postgresURL: String?
        @Option(name: .customLong("postgres-password-file"), help: "A file holding the PostgreSQL password (with --postgres-url).")
        var postgresPasswordFile: String?

        var path: String { dataDir + "/signing-keys" }

        func validate() throws {
            if postgresPasswordFile != nil && postgresURL == nil {
                throw ValidationError("--postgres-password-file needs --postgres-url")
            }
        }

        /// The keyring of the database (without the background poll: the command makes one change and exits), or nil
        /// for the file.
        func sharedKeyring() throws -> SigningKeyring? {
            guard let postgresURL else { return nil }
            let store = try PostgresStore(try PostgresConfiguration(url: postgresURL, passwordFile: postgresPasswordFile))
            return try SigningKeyring(postgres: store, timing: PostgresSigningKeyStorage.Timing(pollInterval: nil))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key ids, which one signs, and which are retired.")
        @OptionGroup var location: Location

        func run() throws {
            let contents = try location.sharedKeyring()?.contents() ?? SigningKeyring.read(location.path)
            for key in contents.keys {
                print("\(key.kid)\t\(key.createdAt)\t\(key.kid == contents.active ? "active" : key.retired ? "retired" : "verifies")")
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a new signing key; older keys keep verifying until retired.")
        @OptionGroup var location: Location

        func run() throws {
            if let keyring = try location.sharedKeyring() {
                print("new active key: \(try keyring.rotate().kid)")
                return
            }
            _ = try SigningKeyring(path: location.path)
            print("new active key: \(try SigningKeyring.rotate(path: location.path))")
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a key from verifying (URLs it signed stop working).")
        @OptionGroup var location: Location
        @Argument(help: "The key id.") var kid: String

        func run() throws {
            if let keyring = try location.sharedKeyring() {
                _ = try keyring.retire(kid: kid)
            } else {
                try SigningKeyring.retire(path: location.path, kid: kid)
            }
            print("retired \(kid)")
        }
    }
}
