import Foundation
import Testing

@testable import PortcullisModel

/// The change log writes entities with its own `JSONWriter` (JSONEncoder is too slow for an import's million
/// changes); what it writes must stay the API's JSON for the same entity, byte for byte.
@Suite("ChangeSubject: the change log's entity JSON is the API's")
struct ChangeSubjectTests {
    static func api(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    static let at = "2026-11-30T09:12:01.123Z"
    // Text that needs escaping, a slash, non-ASCII: the writer must escape exactly as JSONEncoder does.
    static let awkward = "Zoë \"Q\" \\ a/b\u{1}\t\n"

    @Test("every entity kind, with and without its optional fields")
    func sameAsAPI() throws {
        let subjects: [any ChangeSubject & Encodable] = [
            User(id: "u1", email: "zoe@example.com", displayName: Self.awkward, isAdmin: true, status: .active, createdAt: Self.at),
            User(id: "u2", email: "u2@example.com", displayName: "U", isAdmin: false, status: .disabled, createdAt: Self.at, deletedAt: Self.at),
            Team(id: "t1", name: Self.awkward, ownerId: "u1", createdAt: Self.at),
            Team(id: "t2", name: "T", ownerId: "u1", createdAt: Self.at, deletedAt: Self.at),
            TeamMember(teamId: "t1", userId: "u1", role: .editor, permissions: [.read, .delete], isActive: false, createdAt: Self.at),
            TeamMember(teamId: "t1", userId: "u2", role: .owner, permissions: [], isActive: true, createdAt: Self.at),
            Project(id: "p1", name: Self.awkward, ownerId: "u1", teamId: "t1", visibility: .team, createdAt: Self.at),
            Project(id: "p2", name: "P", ownerId: "u1", teamId: nil, visibility: .public, createdAt: Self.at, deletedAt: Self.at),
            Generation(id: "g1", ownerId: "u1", projectId: "p1", status: .completed, mediaKey: "media/a/b.png", createdAt: Self.at),
            Generation(id: "g2", ownerId: "u1", projectId: nil, status: .pending, mediaKey: nil, createdAt: Self.at, deletedAt: Self.at),
            APIKey(id: "key_1", name: Self.awkward, scopes: [.authz, .admin], createdAt: Self.at, lastUsedAt: Self.at),
            APIKey(id: "key_2", name: "K", scopes: [.authz], createdAt: Self.at, source: .environment),
        ]
        for subject in subjects {
            #expect(subject.changeJSON == (try Self.api(subject)), "\(type(of: subject)) \(subject.changeId)")
        }
    }
}
