import ArgumentParser
import Foundation
import PortcullisCore

/// `portcullis keys`: the media URL signing keys in `<data-dir>/signing-keys`.
struct Keys: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Manage the signing keys of media URLs.",
        discussion: "A running server picks up changes within a second.",
        subcommands: [List.self, Rotate.self, Retire.self])

    struct Location: ParsableArguments {
        @Option(name: .customLong("data-dir"), help: "The data directory (default ./data).") var dataDir = "./data"
        var path: String { dataDir + "/signing-keys" }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List key ids, which one signs, and which are retired.")
        @OptionGroup var location: Location

        func run() throws {
            let contents = try SigningKeyring.read(location.path)
            for key in contents.keys {
                print("\(key.kid)\t\(key.createdAt)\t\(key.kid == contents.active ? "active" : key.retired ? "retired" : "verifies")")
            }
        }
    }

    struct Rotate: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a new signing key; older keys keep verifying until retired.")
        @OptionGroup var location: Location

        func run() throws {
            _ = try SigningKeyring(path: location.path)
            print("new active key: \(try SigningKeyring.rotate(path: location.path))")
        }
    }

    struct Retire: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Stop a key from verifying (URLs it signed stop working).")
        @OptionGroup var location: Location
        @Argument(help: "The key id.") var kid: String

        func run() throws {
            try SigningKeyring.retire(path: location.path, kid: kid)
            print("retired \(kid)")
        }
    }
}
