import ArgumentParser
import Foundation
import PortcullisCore
import PortcullisHTTP

/// `portcullis check`: answers one authorization question offline, straight from the data directory.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Decide one authorization question from the data directory, without a server.",
        discussion: "Prints the decision as JSON. Exit status: 0 allowed, 1 denied, 64 bad input.")

    @Option(name: .customLong("data-dir"), help: "The data directory (default ./data).") var dataDir = "./data"
    @Option(help: "The user id.") var user: String
    @Option(help: "The action, e.g. read, update, delete, download.") var action: String
    @Option(help: "The resource as TYPE:ID, e.g. generation:gen-00001.") var resource: String
    @Flag(help: "Include the rules evaluated, in order.") var explain = false

    func run() throws {
        guard let colon = resource.firstIndex(of: ":"), let type = ResourceType(rawValue: String(resource[..<colon])) else {
            throw ValidationError("--resource must be TYPE:ID with TYPE one of generation, project, team")
        }
        let id = String(resource[resource.index(after: colon)...])
        guard Identifier.isValid(id), Identifier.isValid(user) else { throw ValidationError("ids are 1–128 characters of A-Z a-z 0-9 . _ : -") }
        let parsedAction: Action
        do {
            parsedAction = try CheckRequest.action(action, for: type)
        } catch {
            throw ValidationError(error.message)
        }
        let path = dataDir + "/portcullis.sqlite"
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("no database at \(path)") }
        let store = try SQLiteStore(StoreConfiguration(path: path))
        let decision = try AuthorizationEngine(store: store).check(
            CheckRequest(userId: user, action: parsedAction, resourceType: type, resourceId: id, explain: explain))
        print(DecisionOutput.json(decision))
        if !decision.allowed { throw ExitCode(1) }
    }
}

enum DecisionOutput {
    static func json(_ decision: Decision) -> String {
        struct Body: Encodable {
            var allowed: Bool
            var reason: String
            var revision: Int64
            var explanation: [RuleOutcome]?
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let body = Body(allowed: decision.allowed, reason: decision.reason.code, revision: decision.revision, explanation: decision.explanation)
        return String(decoding: (try? encoder.encode(body)) ?? Data(), as: UTF8.self)
    }
}
