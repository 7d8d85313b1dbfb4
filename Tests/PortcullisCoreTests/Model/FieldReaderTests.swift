import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisModel

@Suite("FieldReader")
struct FieldReaderTests {
    static func reader(_ json: String) throws -> FieldReader {
        try FieldReader(JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
    }

    /// Asserts `body` throws an invalid-field error whose message starts with the field's name.
    static func expectInvalid(_ field: String, sourceLocation: SourceLocation = #_sourceLocation, _ body: () throws -> Void) {
        #expect(sourceLocation: sourceLocation) {
            try body()
        } throws: { error in
            guard let error = error as? PortcullisError else { return false }
            return error.code == .invalidField && error.message.hasPrefix("\(field):")
        }
    }

    @Test("only a JSON object can be read", arguments: ["[]", "1", "\"x\"", "null", "true"])
    func notAnObject(_ json: String) {
        #expect {
            _ = try Self.reader(json)
        } throws: { ($0 as? PortcullisError)?.code == .invalidJSON }
    }

    @Test("typed reads return values and nil for absent or null fields")
    func values() throws {
        var fields = try Self.reader(#"{"s":"x","b":true,"n":3,"e":"team","l":["read","read","delete"],"z":null,"id":"a.b"}"#)
        #expect(try fields.string("s") == "x")
        #expect(try fields.bool("b") == true)
        #expect(try fields.int("n", in: 0...5) == 3)
        #expect(try fields.enumeration("e", Visibility.self) == .team)
        #expect(try fields.enumerationList("l", Action.self) == [.read, .delete])
        #expect(try fields.nullableString("z") == .some(nil))
        #expect(try fields.string("absent") == nil)
        #expect(try fields.id("id") == "a.b")
        try fields.finish()
    }

    struct BadField: Sendable, CustomTestStringConvertible {
        var json: String
        var field: String
        var read: @Sendable (inout FieldReader) throws -> Void
        var testDescription: String { json }
    }

    static let badFields = [
        BadField(json: #"{"name":1}"#, field: "name") { _ = try $0.string("name") },
        BadField(json: #"{"name":"toolong"}"#, field: "name") { _ = try $0.string("name", maxLength: 3) },
        BadField(json: #"{}"#, field: "name") { _ = try $0.requiredString("name") },
        BadField(json: #"{"is_admin":"yes"}"#, field: "is_admin") { _ = try $0.bool("is_admin") },
        BadField(json: #"{"limit":1.5}"#, field: "limit") { _ = try $0.int("limit", in: 1...10) },
        BadField(json: #"{"limit":11}"#, field: "limit") { _ = try $0.int("limit", in: 1...10) },
        BadField(json: #"{"visibility":"secret"}"#, field: "visibility") { _ = try $0.enumeration("visibility", Visibility.self) },
        BadField(json: #"{}"#, field: "role") { _ = try $0.requiredEnumeration("role", TeamRole.self) },
        BadField(json: #"{"permissions":["read","fly"]}"#, field: "permissions") { _ = try $0.enumerationList("permissions", Action.self) },
        BadField(json: #"{"permissions":"read"}"#, field: "permissions") { _ = try $0.enumerationList("permissions", Action.self) },
        BadField(json: #"{"owner_id":"a b"}"#, field: "owner_id") { _ = try $0.id("owner_id") },
        BadField(json: #"{"team_id":""}"#, field: "team_id") { _ = try $0.nullableID("team_id") },
        BadField(json: #"{}"#, field: "user_id") { _ = try $0.requiredID("user_id") },
        BadField(json: #"{"media_key":7}"#, field: "media_key") { _ = try $0.nullableString("media_key") },
    ]

    @Test("errors name the field", arguments: badFields)
    func badField(_ bad: BadField) throws {
        var fields = try Self.reader(bad.json)
        Self.expectInvalid(bad.field) { try bad.read(&fields) }
    }

    @Test("a field that was not read is rejected by name")
    func unknownField() throws {
        var fields = try Self.reader(#"{"name":"x","zeta":1,"alpha":2}"#)
        _ = try fields.string("name")
        Self.expectInvalid("alpha") { try fields.finish() }
        fields.ignore("alpha")
        Self.expectInvalid("zeta") { try fields.finish() }
        fields.ignore("zeta")
        try fields.finish()
    }

    @Test("a check request names the bad field and rejects unknown ones", arguments: [
        (#"{"user_id":"u","action":"read","resource_type":"robot","resource_id":"g"}"#, "resource_type"),
        (#"{"user_id":"u","action":"fly","resource_type":"generation","resource_id":"g"}"#, "action"),
        (#"{"user_id":"u","action":"manage_members","resource_type":"generation","resource_id":"g"}"#, "action"),
        (#"{"user_id":"u","action":"read","resource_type":"generation"}"#, "resource_id"),
        (#"{"user_id":"u","action":"read","resource_type":"team","resource_id":"t","extra":1}"#, "extra"),
    ])
    func checkRequest(_ json: String, _ field: String) throws {
        var fields = try Self.reader(json)
        Self.expectInvalid(field) { _ = try CheckRequest(&fields) }
    }
}
