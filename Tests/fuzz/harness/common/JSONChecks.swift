// Shared by the `json` and `ndjson` harnesses: JSONParser invariants, and every request input type that reads fields
// from a parsed body, with the properties its result must have.
//
// Compiled together with the Model files listed for `json` in Tests/fuzz/run.sh.

// MARK: - JSONParser

enum JSONChecks {
    /// Parses `bytes` as a request body is parsed (`Request.jsonFields`), checking the parser's invariants; nil when the
    /// parser rejected the bytes.
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> JSONValue? {
        let flat = FlatJSONObject.fields(UnsafeRawBufferPointer(bytes))
        let value: JSONValue
        do throws(JSONParser.Failure) {
            value = try JSONParser.parse(bytes)
        } catch {
            checkFailure(error, count: bytes.count)
            fuzzRequire(flat == nil, "FlatJSONObject accepted what JSONParser rejects (\(error.reason)): \(fuzzHex(bytes.prefix(256)))")
            return nil
        }
        checkAccepted(value, bytes: bytes)
        // The flat reader, where it answers, reads exactly what the parser reads.
        if let flat {
            let fields = Dictionary(flat.map { ($0.name, $0.value) }, uniquingKeysWith: { first, _ in first })
            fuzzRequire(fields.count == flat.count && value == .object(fields), "FlatJSONObject read \(flat) where JSONParser read \(value)")
        }
        return value
    }

    static func checkFailure(_ error: JSONParser.Failure, count: Int) {
        fuzzRequire(error.offset >= 0 && error.offset <= count, "failure offset \(error.offset) outside 0...\(count) (\(error.reason))")
        fuzzRequire(!error.reason.isEmpty, "failure without a reason")
    }

    /// What holds for every accepted document.
    static func checkAccepted(_ value: JSONValue, bytes: UnsafeBufferPointer<UInt8>) {
        // Outside strings JSON is ASCII, so an accepted document with a byte sequence that is not UTF-8 means the parser
        // let invalid UTF-8 through inside a string.
        fuzzRequire(String(validating: bytes, as: UTF8.self) != nil, "accepted a document that is not valid UTF-8: \(fuzzHex(bytes.prefix(256)))")
        let depth = depth(of: value)
        fuzzRequire(depth <= JSONParser.maxDepth, "accepted nesting \(depth) deeper than maxDepth \(JSONParser.maxDepth)")
        // Serialising the value and parsing it again gives the same value: once with raw UTF-8 in strings (the parser's
        // fast path) and once with every non-ASCII scalar as a \u escape (surrogate pairs; the escape path).
        for asciiOnly in [false, true] {
            let text = serialize(value, asciiOnly: asciiOnly)
            let again: JSONValue
            do throws(JSONParser.Failure) {
                again = try JSONParser.parse(Array(text.utf8))
            } catch {
                fuzzFail("re-serialised document rejected (\(error.reason) at byte \(error.offset)): \(text.quoted)")
            }
            fuzzRequire(again == value, "round trip changed the value: \(text.quoted)")
        }
    }

    static func depth(of value: JSONValue) -> Int {
        switch value {
        case .array(let items): 1 + (items.map(depth(of:)).max() ?? 0)
        case .object(let fields): 1 + (fields.values.map(depth(of:)).max() ?? 0)
        default: 0
        }
    }

    /// A JSON text for `value` (keys sorted, so the output is deterministic).
    static func serialize(_ value: JSONValue, asciiOnly: Bool) -> String {
        var out = ""
        write(value, asciiOnly: asciiOnly, into: &out)
        return out
    }

    private static func write(_ value: JSONValue, asciiOnly: Bool, into out: inout String) {
        switch value {
        case .null: out += "null"
        case .bool(let flag): out += flag ? "true" : "false"
        case .number(let number):
            fuzzRequire(number.isFinite, "the parser produced a non-finite number \(number)")
            out += "\(number)" // Swift's shortest round-trip form: "1.0", "1e-05", "-0.0", "5e-324" are all JSON numbers.
        case .string(let string): writeString(string, asciiOnly: asciiOnly, into: &out)
        case .array(let items):
            out += "["
            for (index, item) in items.enumerated() {
                if index > 0 { out += "," }
                write(item, asciiOnly: asciiOnly, into: &out)
            }
            out += "]"
        case .object(let fields):
            out += "{"
            for (index, key) in fields.keys.sorted().enumerated() {
                if index > 0 { out += "," }
                writeString(key, asciiOnly: asciiOnly, into: &out)
                out += ":"
                write(fields[key]!, asciiOnly: asciiOnly, into: &out)
            }
            out += "}"
        }
    }

    private static func writeString(_ string: String, asciiOnly: Bool, into out: inout String) {
        out += "\""
        for scalar in string.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            default:
                if scalar.value < 0x20 {
                    out += "\\u" + hex4(scalar.value)
                } else if asciiOnly && scalar.value > 0x7E {
                    if scalar.value > 0xFFFF {
                        let v = scalar.value - 0x10000
                        out += "\\u" + hex4(0xD800 + (v >> 10)) + "\\u" + hex4(0xDC00 + (v & 0x3FF))
                    } else {
                        out += "\\u" + hex4(scalar.value)
                    }
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    private static func hex4(_ value: UInt32) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 4 - text.count)) + text
    }
}

// MARK: - Field reading

/// Every input type that reads a request body or an import line, run on one parsed value.
enum FieldChecks {
    /// The error contract of field reading: a malformed body is a 400, `invalid_field` naming the field or `invalid_json`.
    static func checkRejection(_ error: PortcullisError, _ what: String, forbiddenAllowed: Bool = false) {
        if forbiddenAllowed, error.code == .forbidden { return }
        fuzzRequire(error.code == .invalidField || error.code == .invalidJSON,
                    "\(what): rejected with \(error.code.rawValue) (HTTP \(error.code.status)), not invalid_field or invalid_json: \(error)")
        fuzzRequire(error.code.status == 400, "\(what): \(error.code.rawValue) answers \(error.code.status), not 400")
        fuzzRequire(error.details == nil, "\(what): line details on a field error")
        fuzzRequire(!error.message.isEmpty, "\(what): empty error message")
        if error.code == .invalidField {
            fuzzRequire(error.message.contains(": "), "\(what): field error that names no field: \(error.message.quoted)")
        }
    }

    /// Runs `body` on a fresh reader over `value`, then `finish()` as every controller does; nil when rejected.
    static func read<T>(_ value: JSONValue, _ what: String, forbiddenAllowed: Bool = false,
                        _ body: (inout FieldReader) throws(PortcullisError) -> T) -> T? {
        do throws(PortcullisError) {
            var fields = try FieldReader(value)
            let result = try body(&fields)
            try fields.finish()
            return result
        } catch {
            checkRejection(error, what, forbiddenAllowed: forbiddenAllowed)
            return nil
        }
    }

    static func object(_ value: JSONValue) -> [String: JSONValue]? {
        if case .object(let fields) = value { return fields }
        return nil
    }

    /// Every HTTP body type (see Sources/PortcullisHTTP/Controllers/*), on one parsed value.
    static func checkAllBodies(_ value: JSONValue) {
        if let check = read(value, "CheckRequest", { (f: inout FieldReader) throws(PortcullisError) in try CheckRequest(&f) }) {
            checkCheckRequest(check)
        }
        checkBatch(value)
        for importing in [false, true] {
            if let user = read(value, "NewUser(importing: \(importing))", { (f: inout FieldReader) throws(PortcullisError) in try NewUser(&f, importing: importing) }) {
                checkNewUser(user, importing: importing)
            }
            if let team = read(value, "NewTeam", { (f: inout FieldReader) throws(PortcullisError) in try NewTeam(&f, importing: importing) }) {
                checkNewTeam(team, importing: importing)
            }
            if let member = read(value, "MembershipInput", { (f: inout FieldReader) throws(PortcullisError) in try MembershipInput(&f, importing: importing) }) {
                checkMembership(member, importing: importing)
            }
            if let project = read(value, "NewProject", { (f: inout FieldReader) throws(PortcullisError) in try NewProject(&f, importing: importing) }) {
                checkNewProject(project, importing: importing)
            }
            if let generation = read(value, "NewGeneration", { (f: inout FieldReader) throws(PortcullisError) in try NewGeneration(&f, importing: importing) }) {
                checkNewGeneration(generation, importing: importing)
            }
        }
        if let patch = read(value, "UserPatch", { (f: inout FieldReader) throws(PortcullisError) in try UserPatch(&f) }) {
            if let email = patch.email { checkStoredEmail(email) }
            if let name = patch.displayName { checkText(name, "display_name") }
            if let password = patch.password { fuzzRequire(password.count >= 8, "UserPatch: short password accepted") }
        }
        if let patch = read(value, "TeamPatch", { (f: inout FieldReader) throws(PortcullisError) in try TeamPatch(&f) }) {
            if let name = patch.name { checkText(name, "name") }
            if let owner = patch.ownerId { checkID(owner, "owner_id") }
        }
        if let patch = read(value, "ProjectPatch", { (f: inout FieldReader) throws(PortcullisError) in try ProjectPatch(&f) }) {
            if let name = patch.name { checkText(name, "name") }
            if let owner = patch.ownerId { checkID(owner, "owner_id") }
            if case .some(.some(let team)) = patch.teamId { checkID(team, "team_id") }
        }
        for endUser in [false, true] {
            let patch = read(value, "GenerationPatch(endUser: \(endUser))", forbiddenAllowed: endUser) { (f: inout FieldReader) throws(PortcullisError) in
                try GenerationPatch(&f, endUser: endUser)
            }
            if let patch {
                if endUser {
                    fuzzRequire(patch.ownerId == nil, "end-user GenerationPatch set owner_id")
                    if case .some = patch.mediaKey { fuzzFail("end-user GenerationPatch set media_key") }
                }
                if let owner = patch.ownerId { checkID(owner, "owner_id") }
                if case .some(.some(let project)) = patch.projectId { checkID(project, "project_id") }
                if case .some(.some(let key)) = patch.mediaKey { checkMediaKey(key) }
            } else if endUser, let fields = object(value), fields["media_key"] == nil {
                // The 403 is only for a body that names media_key; make sure nothing else produced it.
                _ = read(value, "GenerationPatch(endUser: true) without media_key") { (f: inout FieldReader) throws(PortcullisError) in
                    try GenerationPatch(&f, endUser: true)
                }
            }
        }
        // POST /api/v1/api-keys
        if let key = read(value, "api key", { (f: inout FieldReader) throws(PortcullisError) in
            (try f.requiredText("name", maxLength: 256), try f.enumerationList("scopes", APIKeyScope.self) ?? [.authz])
        }) {
            checkText(key.0, "name")
            fuzzRequire(key.0.utf8.count <= 256, "api key name longer than 256 bytes")
            fuzzRequire(Set(key.1).count == key.1.count, "duplicate scopes kept")
        }
        // POST /api/v1/auth/login, then SignIn normalises the email.
        if let login = read(value, "login", { (f: inout FieldReader) throws(PortcullisError) in
            (try f.requiredString("email", maxLength: 320), try f.requiredString("password", maxLength: 1024))
        }) {
            do throws(PortcullisError) {
                let once = try Validate.normalizedEmail(login.0)
                // Sign-in with exactly the stored (normalised) email must find it: normalising is idempotent.
                let twice: String
                do throws(PortcullisError) { twice = try Validate.normalizedEmail(once) } catch { fuzzFail("normalised email \(once.quoted) rejected: \(error)") }
                fuzzRequire(twice == once, "normalizedEmail is not idempotent: \(login.0.quoted) → \(once.quoted) → \(twice.quoted)")
            } catch {
                checkRejection(error, "Validate.normalizedEmail")
            }
        }
    }

    /// POST /api/v1/authz/check-batch, as AuthorizationController.batch reads it.
    static func checkBatch(_ value: JSONValue) {
        let maxBatch = 1000
        let items = read(value, "batch") { (f: inout FieldReader) throws(PortcullisError) -> [JSONValue] in
            guard f.has("checks") else { throw PortcullisError.invalidField("checks", "is required") }
            return try f.array("checks")
        }
        guard let items, items.count <= maxBatch else { return }
        for item in items {
            if let check = read(item, "batch item", { (f: inout FieldReader) throws(PortcullisError) in try CheckRequest(&f) }) {
                checkCheckRequest(check)
            }
        }
    }

    // MARK: Properties of accepted inputs

    static func checkID(_ id: String, _ field: String) {
        fuzzRequire(Identifier.isValid(id), "\(field): accepted an invalid id \(id.quoted)")
    }

    static func checkText(_ text: String, _ field: String) {
        fuzzRequire(!text.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
                    "\(field): accepted control characters in \(text.quoted)")
    }

    static func checkTimestamp(_ value: String?, _ field: String) {
        guard let value else { return }
        let bytes = Array(value.utf8)
        fuzzRequire(bytes.count >= 20 && bytes.count <= 30 && bytes.last == UInt8(ascii: "Z") && bytes.allSatisfy({ $0 < 0x80 }),
                    "\(field): accepted a malformed timestamp \(value.quoted)")
        do throws(PortcullisError) {
            _ = try Validate.timestamp(value, field: field)
        } catch {
            fuzzFail("\(field): accepted timestamp \(value.quoted) fails Validate.timestamp")
        }
    }

    static func checkMediaKey(_ key: String) {
        fuzzRequire(!key.isEmpty && key.utf8.count <= Validate.maxMediaKeyLength, "media_key: bad length \(key.utf8.count)")
        fuzzRequire(!key.hasPrefix("/") && !key.hasSuffix("/") && !key.contains("//"), "media_key: empty segment in \(key.quoted)")
        for segment in key.split(separator: "/", omittingEmptySubsequences: false) {
            fuzzRequire(segment != "." && segment != "..", "media_key: dot segment in \(key.quoted)")
        }
        fuzzRequire(key.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"): true
            case UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"), UInt8(ascii: "-"), UInt8(ascii: "/"): true
            default: false
            }
        }, "media_key: a byte outside A-Z a-z 0-9 . _ ~ - / in \(key.quoted)")
    }

    /// An email as stored: normalised once, valid again, with exactly one `@`.
    static func checkStoredEmail(_ email: String) {
        let again: String
        do throws(PortcullisError) { again = try Validate.email(email) } catch { fuzzFail("stored email \(email.quoted) fails Validate.email: \(error)") }
        fuzzRequire(again == email, "Validate.email is not idempotent: \(email.quoted) → \(again.quoted)")
        fuzzRequire(email.utf8.count <= 320 * 3, "email grew past any limit: \(email.utf8.count) bytes")
        // Validate.email documents "one `@` with text on both sides". It splits on Characters, so an `@` followed by a
        // combining mark is not counted: "a@b@\u{301}c" passes with two @ scalars.
        let ats = email.unicodeScalars.filter { $0 == "@" }.count
        fuzzContract("email-one-at", ats == 1, "accepted email with \(ats) '@' scalars: \(email.quoted)")
    }

    static func checkCheckRequest(_ check: CheckRequest) {
        checkID(check.userId, "user_id")
        checkID(check.resourceId, "resource_id")
        fuzzRequire(check.resourceType.actions.contains(check.action), "action \(check.action) accepted on a \(check.resourceType)")
    }

    static func checkNewUser(_ user: NewUser, importing: Bool) {
        if let id = user.id { checkID(id, "id") }
        checkStoredEmail(user.email)
        checkText(user.displayName, "display_name")
        if let password = user.password { fuzzRequire(password.count >= 8, "short password accepted") }
        fuzzRequire(!(user.password != nil && user.passwordHash != nil), "both password and password_hash accepted")
        if importing {
            checkTimestamp(user.createdAt, "created_at")
            checkTimestamp(user.deletedAt, "deleted_at")
        } else {
            fuzzRequire(user.passwordHash == nil && user.createdAt == nil && user.deletedAt == nil, "import-only user field read outside an import")
        }
    }

    static func checkNewTeam(_ team: NewTeam, importing: Bool) {
        if let id = team.id { checkID(id, "id") }
        checkText(team.name, "name")
        checkID(team.ownerId, "owner_id")
        if importing {
            checkTimestamp(team.createdAt, "created_at")
            checkTimestamp(team.deletedAt, "deleted_at")
        } else {
            fuzzRequire(team.createdAt == nil && team.deletedAt == nil, "import-only team field read outside an import")
        }
    }

    static func checkMembership(_ member: MembershipInput, importing: Bool) {
        fuzzRequire(member.permissions.allSatisfy { Action.grantable.contains($0) }, "a team action accepted as an extra permission")
        fuzzRequire(Set(member.permissions).count == member.permissions.count, "duplicate permissions kept")
        if importing { checkTimestamp(member.createdAt, "created_at") } else { fuzzRequire(member.createdAt == nil, "created_at read outside an import") }
    }

    static func checkNewProject(_ project: NewProject, importing: Bool) {
        if let id = project.id { checkID(id, "id") }
        checkText(project.name, "name")
        checkID(project.ownerId, "owner_id")
        if let team = project.teamId { checkID(team, "team_id") }
        if importing {
            checkTimestamp(project.createdAt, "created_at")
            checkTimestamp(project.deletedAt, "deleted_at")
        }
    }

    static func checkNewGeneration(_ generation: NewGeneration, importing: Bool) {
        if let id = generation.id { checkID(id, "id") }
        checkID(generation.ownerId, "owner_id")
        if let project = generation.projectId { checkID(project, "project_id") }
        if let key = generation.mediaKey { checkMediaKey(key) }
        if importing {
            checkTimestamp(generation.createdAt, "created_at")
            checkTimestamp(generation.deletedAt, "deleted_at")
        }
    }
}
