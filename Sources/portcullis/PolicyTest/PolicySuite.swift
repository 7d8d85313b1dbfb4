import Foundation
import PortcullisCore
import Yams

/// One policy test file (`portcullis test`, docs/testing-policies.md), read and checked before anything runs: every
/// key known, every value of the right type, every action valid for its resource type. Each case keeps the line it
/// starts on, so a failure names `file:line`.
struct PolicySuite {
    /// Where the data comes from: import lines written inline in the YAML, or an NDJSON file beside it.
    enum DataSource {
        /// One import line per YAML list item: its JSON text and the YAML line the item starts on.
        case inline([(line: Int, json: String)])
        /// An NDJSON file (resolved against the YAML's folder) and the line of the `file:` key.
        case file(path: String, line: Int)
    }

    /// `{user, action, resource: "TYPE:ID", allowed, reason?}`.
    struct CheckCase {
        var line: Int
        var request: CheckRequest
        var allowed: Bool
        var reason: String?
    }

    /// `{user, action, type, ids: [...]}`: every resource of `type` the user may act on, in any order.
    struct ResourcesCase {
        var line: Int
        var user: String
        var action: Action
        var type: ResourceType
        var ids: [String]
    }

    /// `{resource: "TYPE:ID", action, users: [...]}`: every user who may act on the resource, in any order.
    struct SubjectsCase {
        var line: Int
        var type: ResourceType
        var id: String
        var action: Action
        var users: [String]
    }

    var path: String
    /// Unix milliseconds of `now:`, when the file fixes the clock.
    var now: Int64?
    var data: DataSource
    var checks: [CheckCase] = []
    var resources: [ResourcesCase] = []
    var subjects: [SubjectsCase] = []

    /// How many cases the file holds.
    var caseCount: Int { checks.count + resources.count + subjects.count }

    static let topLevelKeys: Set<String> = ["data", "now", "checks", "resources", "subjects", "name", "description"]

    /// Reads and checks the file at `path`.
    /// - Throws: `PolicySuiteError` naming the line of the first problem.
    static func load(path: String) throws(PolicySuiteError) -> PolicySuite {
        guard let bytes = FileManager.default.contents(atPath: path) else {
            throw PolicySuiteError(path: path, line: nil, message: "cannot read the file")
        }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw PolicySuiteError(path: path, line: nil, message: "the file is not valid UTF-8")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw PolicySuiteError(path: path, line: Self.line(of: error), message: "not valid YAML: \(Self.problem(of: error))")
        } catch {
            throw PolicySuiteError(path: path, line: nil, message: "not valid YAML: \(error)")
        }
        guard let root else { throw PolicySuiteError(path: path, line: nil, message: "the file is empty") }
        return try PolicySuiteReader(path: path).suite(root)
    }

    private static func line(of error: YamlError) -> Int? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _): mark.line
        case .duplicatedKeysInMapping(_, let context): context.mark.line
        default: nil
        }
    }

    private static func problem(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _): problem
        case .duplicatedKeysInMapping(let duplicates, _): "duplicate key \(duplicates.joined(separator: ", "))"
        case .reader(let problem, _, _, _): problem
        default: "\(error)"
        }
    }
}

/// An invalid policy test file (exit status 2): the file, the line when known, and what is wrong.
struct PolicySuiteError: Error, CustomStringConvertible {
    var path: String
    var line: Int?
    var message: String

    var description: String { line.map { "\(path):\($0): \(message)" } ?? "\(path): \(message)" }
}

/// Turns the YAML node tree into a `PolicySuite`, refusing unknown keys and wrong types.
struct PolicySuiteReader {
    let path: String

    func suite(_ root: Node) throws(PolicySuiteError) -> PolicySuite {
        let fields = try mapping(root, "the file", known: PolicySuite.topLevelKeys)
        guard let dataNode = fields["data"] else { throw fail(root, "'data' is required (a list of import lines, or {file: NAME.ndjson})") }
        var suite = PolicySuite(path: path, data: try data(dataNode))
        if let now = fields["now"] { suite.now = try timestamp(now, "now") }
        if let name = fields["name"] { _ = try string(name, "name") }
        if let description = fields["description"] { _ = try string(description, "description") }
        suite.checks = try list(fields["checks"], "checks").map { node throws(PolicySuiteError) in try check(node) }
        suite.resources = try list(fields["resources"], "resources").map { node throws(PolicySuiteError) in try resources(node) }
        suite.subjects = try list(fields["subjects"], "subjects").map { node throws(PolicySuiteError) in try subjects(node) }
        guard suite.caseCount > 0 else { throw fail(root, "the file has no checks, resources or subjects to test") }
        return suite
    }

    // MARK: Sections

    private func data(_ node: Node) throws(PolicySuiteError) -> PolicySuite.DataSource {
        if node.mapping != nil {
            let fields = try mapping(node, "data", known: ["file"])
            guard let file = fields["file"] else { throw fail(node, "data: a mapping takes 'file' (an NDJSON path relative to this file)") }
            let name = try string(file, "data.file")
            let base = URL(fileURLWithPath: path).deletingLastPathComponent()
            let resolved = name.hasPrefix("/") ? name : base.appendingPathComponent(name).standardizedFileURL.path
            guard FileManager.default.isReadableFile(atPath: resolved) else { throw fail(file, "data.file: cannot read \(resolved)") }
            return .file(path: resolved, line: line(file))
        }
        guard let items = node.sequence else { throw fail(node, "'data' is a list of import lines or {file: NAME.ndjson}") }
        var lines: [(line: Int, json: String)] = []
        for item in items {
            guard item.mapping != nil else { throw fail(item, "each data item is one import line: a mapping such as {type: user, id: alice, email: alice@example.com}") }
            lines.append((line(item), try YAMLJSON.encode(item, path: path)))
        }
        return .inline(lines)
    }

    private func check(_ node: Node) throws(PolicySuiteError) -> PolicySuite.CheckCase {
        let fields = try mapping(node, "a check", known: ["user", "action", "resource", "allowed", "reason"])
        let user = try id(try required(fields, "user", node), "user")
        let (type, resourceId) = try resource(try required(fields, "resource", node))
        let action = try self.action(try required(fields, "action", node), type)
        let allowedNode = try required(fields, "allowed", node)
        guard let allowed = scalarTag(allowedNode) == .bool ? allowedNode.bool : nil else { throw fail(allowedNode, "allowed: must be true or false") }
        var reason: String?
        if let reasonNode = fields["reason"] {
            let code = try string(reasonNode, "reason")
            guard let parsed = Reason(code: code) else {
                throw fail(reasonNode, "reason: '\(code)' is not a reason (user_inactive, not_found, admin, owner, project_owner, "
                    + "team_role:<role>, team_permission:<action>, public_project, no_grant)")
            }
            let allows = switch parsed {
            case .userInactive, .notFound, .noGrant: false
            default: true
            }
            guard allows == allowed else { throw fail(reasonNode, "reason: '\(code)' never comes with allowed: \(allowed)") }
            reason = code
        }
        return .init(line: line(node), request: CheckRequest(userId: user, action: action, resourceType: type, resourceId: resourceId, explain: true),
                     allowed: allowed, reason: reason)
    }

    private func resources(_ node: Node) throws(PolicySuiteError) -> PolicySuite.ResourcesCase {
        let fields = try mapping(node, "a resources case", known: ["user", "action", "type", "ids"])
        let user = try id(try required(fields, "user", node), "user")
        let typeNode = try required(fields, "type", node)
        guard let type = ResourceType(rawValue: try string(typeNode, "type")) else { throw fail(typeNode, "type: must be generation, project or team") }
        let action = try self.action(try required(fields, "action", node), type)
        let ids = try idList(try required(fields, "ids", node), "ids")
        return .init(line: line(node), user: user, action: action, type: type, ids: ids)
    }

    private func subjects(_ node: Node) throws(PolicySuiteError) -> PolicySuite.SubjectsCase {
        let fields = try mapping(node, "a subjects case", known: ["resource", "action", "users"])
        let (type, resourceId) = try resource(try required(fields, "resource", node))
        let action = try self.action(try required(fields, "action", node), type)
        let users = try idList(try required(fields, "users", node), "users")
        return .init(line: line(node), type: type, id: resourceId, action: action, users: users)
    }

    // MARK: Values

    private func mapping(_ node: Node, _ what: String, known: Set<String>) throws(PolicySuiteError) -> [String: Node] {
        guard let mapping = node.mapping else { throw fail(node, "\(what) must be a mapping of keys to values") }
        var fields: [String: Node] = [:]
        for (key, value) in mapping {
            guard let name = scalarTag(key) == .str ? key.string : nil else { throw fail(key, "keys are plain names") }
            guard known.contains(name) else { throw fail(key, "unknown key '\(name)' in \(what); known: \(known.sorted().joined(separator: ", "))") }
            fields[name] = value
        }
        return fields
    }

    private func list(_ node: Node?, _ what: String) throws(PolicySuiteError) -> [Node] {
        guard let node else { return [] }
        if scalarTag(node) == .null { return [] }
        guard let items = node.sequence else { throw fail(node, "'\(what)' must be a list") }
        return Array(items)
    }

    private func required(_ fields: [String: Node], _ key: String, _ parent: Node) throws(PolicySuiteError) -> Node {
        guard let node = fields[key] else { throw fail(parent, "'\(key)' is required") }
        return node
    }

    /// A scalar's text; numbers count (an id may be all digits), null and true/false do not.
    private func string(_ node: Node, _ field: String) throws(PolicySuiteError) -> String {
        guard let tag = scalarTag(node), tag != .null, tag != .bool, let text = node.string else {
            throw fail(node, "\(field): must be text")
        }
        return text
    }

    private func id(_ node: Node, _ field: String) throws(PolicySuiteError) -> String {
        let text = try string(node, field)
        guard Identifier.isValid(text) else { throw fail(node, "\(field): '\(text)' is not an id (1–128 characters of A-Z a-z 0-9 . _ : -)") }
        return text
    }

    private func idList(_ node: Node, _ field: String) throws(PolicySuiteError) -> [String] {
        guard let items = node.sequence else { throw fail(node, "\(field): must be a list of ids (use [] for none)") }
        var ids: [String] = []
        for item in items {
            let id = try self.id(item, field)
            guard !ids.contains(id) else { throw fail(item, "\(field): '\(id)' is listed twice") }
            ids.append(id)
        }
        return ids
    }

    private func resource(_ node: Node) throws(PolicySuiteError) -> (ResourceType, String) {
        let text = try string(node, "resource")
        guard let colon = text.firstIndex(of: ":"), let type = ResourceType(rawValue: String(text[..<colon])) else {
            throw fail(node, "resource: '\(text)' must be TYPE:ID with TYPE generation, project or team (e.g. generation:g1)")
        }
        let id = String(text[text.index(after: colon)...])
        guard Identifier.isValid(id) else { throw fail(node, "resource: '\(id)' is not an id (1–128 characters of A-Z a-z 0-9 . _ : -)") }
        return (type, id)
    }

    private func action(_ node: Node, _ type: ResourceType) throws(PolicySuiteError) -> Action {
        let text = try string(node, "action")
        do {
            return try CheckRequest.action(text, for: type)
        } catch {
            throw fail(node, error.message)
        }
    }

    private func timestamp(_ node: Node, _ field: String) throws(PolicySuiteError) -> Int64 {
        let text = try string(node, field)
        guard let milliseconds = RFC3339.milliseconds(text) else {
            throw fail(node, "\(field): '\(text)' is not an RFC 3339 time such as 2026-03-01T12:00:00Z")
        }
        return milliseconds
    }

    private func scalarTag(_ node: Node) -> Tag.Name? { YAMLJSON.scalarTag(node) }

    private func line(_ node: Node) -> Int { node.mark?.line ?? 0 }

    private func fail(_ node: Node, _ message: String) -> PolicySuiteError {
        PolicySuiteError(path: path, line: node.mark?.line, message: message)
    }
}

/// RFC 3339 date-times (`2026-03-01T12:00:00Z`, `2026-03-01T12:00:00.250+01:00`) as Unix milliseconds.
enum RFC3339 {
    static func milliseconds(_ text: String) -> Int64? {
        let plain = ISO8601DateFormatter()
        plain.formatOptions = [.withInternetDateTime]
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        guard let date = plain.date(from: text) ?? fractional.date(from: text) else { return nil }
        return Int64((date.timeIntervalSince1970 * 1000).rounded())
    }
}

/// One YAML mapping as one line of JSON, the import format: strings stay strings, YAML numbers, booleans and null
/// become JSON ones, timestamps keep their text, lists and mappings nest.
enum YAMLJSON {
    static func encode(_ node: Node, path: String) throws(PolicySuiteError) -> String {
        var out = ""
        try write(node, path: path, into: &out)
        return out
    }

    /// A scalar's type as YAML resolves it (`yes` and `true` are booleans, `12` an integer, `~` null); quoted and
    /// explicitly tagged `!` scalars are strings. Nil for anything but a scalar.
    static func scalarTag(_ node: Node) -> Tag.Name? {
        guard case .scalar = node else { return nil }
        let name = Resolver.default.resolveTag(of: node)
        return name == .nonSpecific ? .str : name
    }

    private static func quoted(_ text: String) -> String {
        var writer = JSONWriter()
        writer.string(text)
        return writer.text
    }

    private static func write(_ node: Node, path: String, into out: inout String) throws(PolicySuiteError) {
        switch node {
        case .scalar(let scalar):
            switch scalarTag(node) {
            case .null: out += "null"
            case .bool: out += node.bool == true ? "true" : "false"
            case .int:
                guard let value = node.int else { throw PolicySuiteError(path: path, line: scalar.mark?.line, message: "'\(scalar.string)' is not an integer") }
                out += String(value)
            case .float:
                guard let value = node.float, value.isFinite else {
                    throw PolicySuiteError(path: path, line: scalar.mark?.line, message: "'\(scalar.string)' is not a finite number")
                }
                out += String(value)
            default: out += quoted(scalar.string)
            }
        case .sequence(let sequence):
            out += "["
            for (index, item) in sequence.enumerated() {
                if index > 0 { out += "," }
                try write(item, path: path, into: &out)
            }
            out += "]"
        case .mapping(let mapping):
            out += "{"
            for (index, (key, value)) in mapping.enumerated() {
                guard case .scalar(let name) = key else { throw PolicySuiteError(path: path, line: key.mark?.line, message: "keys are plain names") }
                if index > 0 { out += "," }
                out += quoted(name.string) + ":"
                try write(value, path: path, into: &out)
            }
            out += "}"
        case .alias:
            throw PolicySuiteError(path: path, line: node.mark?.line, message: "YAML aliases are not supported in data")
        }
    }
}
