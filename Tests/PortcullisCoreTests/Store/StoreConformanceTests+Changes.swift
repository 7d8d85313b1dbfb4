import Foundation
import Testing

@testable import PortcullisCore
@testable import PortcullisStore
@testable import PortcullisSQLite

/// The change log (SPEC 8.2), on every backend: each write kind records exactly its changes, field by field.
extension StoreConformanceTests {
    /// One expected change: its entity, id, op, and `before`/`after` as JSON objects (nil: null).
    struct ExpectedChange {
        var entity: ChangeEntity
        var id: String
        var op: ChangeOp
        var before: [String: Any]?
        var after: [String: Any]?
    }

    /// Runs `write` attributed to API key `key-1` and request `request`, then expects the changes of its revision to be
    /// exactly `expected`, in order, with `seq` 0, 1, ... and nothing else recorded since `since`.
    @discardableResult
    static func expectChanges(_ store: any Store, request: String, sourceLocation: SourceLocation = #_sourceLocation,
                              _ write: () async throws -> Int64, _ expected: (Int64) async throws -> [ExpectedChange]) async throws -> Int64 {
        let since = try store.revision()
        let revision = try await WriteAttribution.$current.withValue(WriteAttribution(actor: .apiKey("key-1"), requestId: request)) {
            try await write()
        }
        let items = try await store.changes(ChangeQuery(after: ChangePosition(revision: since), limit: 1000)).items
        let wanted = try await expected(revision)
        #expect(items.map { "\($0.entity.rawValue) \($0.entityId) \($0.op.rawValue)" } == wanted.map { "\($0.entity.rawValue) \($0.id) \($0.op.rawValue)" },
                sourceLocation: sourceLocation)
        for (index, (change, want)) in zip(items, wanted).enumerated() {
            #expect(change.revision == revision && change.seq == Int64(index), sourceLocation: sourceLocation)
            #expect(change.actor == .apiKey("key-1") && change.requestId == request, sourceLocation: sourceLocation)
            #expect(canonical(change.before) == canonical(want.before), "before of \(change.entityId)", sourceLocation: sourceLocation)
            #expect(canonical(change.after) == canonical(want.after), "after of \(change.entityId)", sourceLocation: sourceLocation)
            for secret in ["password", "password_hash", "key_hash", "hash", "key", "secret", "token"] {
                #expect(change.after?.contains("\"\(secret)\"") != true, "\(secret) in a change", sourceLocation: sourceLocation)
            }
        }
        return revision
    }

    static func canonical(_ json: String?) -> String? {
        guard let json, let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) else { return json.map { "unparsable: \($0)" } }
        return canonical(object as? [String: Any])
    }

    static func canonical(_ object: [String: Any]?) -> String? {
        guard let object, let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }

    static func after(_ json: String?) -> [String: Any] {
        (json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } as? [String: Any]) ?? [:]
    }

    @Test("every write kind records exactly its changes: before, after, ids, op, actor, request, revision, seq", arguments: backends)
    func everyWriteKind(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        var ada: User!
        try await Self.expectChanges(store, request: "r1", {
            ada = try await store.createUser(NewUser(id: "ada", email: "ada@example.com", displayName: "Ada", passwordHash: "$pbkdf2$x"),
                                             passwordHash: "$pbkdf2-sha256$i=1$c2FsdA$aGFzaA").value
            return try store.revision()
        }) { _ in
            [ExpectedChange(entity: .user, id: "ada", op: .create, before: nil,
                            after: ["id": "ada", "email": "ada@example.com", "display_name": "Ada", "is_admin": false, "status": "active",
                                    "created_at": ada.createdAt])]
        }
        let adaJSON: [String: Any] = ["id": "ada", "email": "ada@example.com", "display_name": "Ada", "is_admin": false, "status": "active",
                                      "created_at": ada.createdAt]
        var adaAfter = adaJSON
        adaAfter["display_name"] = "Ada L."
        adaAfter["status"] = "disabled"
        try await Self.expectChanges(store, request: "r2", {
            try await store.updateUser("ada", UserPatch(displayName: "Ada L.", status: .disabled), passwordHash: "$new").revision
        }) { _ in [ExpectedChange(entity: .user, id: "ada", op: .update, before: adaJSON, after: adaAfter)] }

        try await fixture.user("bob")
        let bob = try await store.user("bob")
        // A team create: the team, then its owner's membership.
        var team: Team!
        try await Self.expectChanges(store, request: "r3", {
            team = try await store.createTeam(NewTeam(id: "t1", name: "Team", ownerId: "ada")).value
            return try store.revision()
        }) { _ in
            [ExpectedChange(entity: .team, id: "t1", op: .create, before: nil,
                            after: ["id": "t1", "name": "Team", "owner_id": "ada", "created_at": team.createdAt]),
             ExpectedChange(entity: .member, id: "t1/ada", op: .create, before: nil,
                            after: ["team_id": "t1", "user_id": "ada", "role": "owner", "permissions": [], "is_active": true,
                                    "created_at": team.createdAt])]
        }
        // A membership created, then changed, then removed.
        var member: TeamMember!
        try await Self.expectChanges(store, request: "r4", {
            let put = try await store.putMember(teamId: "t1", userId: "bob", MembershipInput(role: .viewer, permissions: [.delete]))
            member = put.member.value
            return put.member.revision
        }) { _ in
            [ExpectedChange(entity: .member, id: "t1/bob", op: .create, before: nil,
                            after: ["team_id": "t1", "user_id": "bob", "role": "viewer", "permissions": ["delete"], "is_active": true,
                                    "created_at": member.createdAt])]
        }
        let bobMember: [String: Any] = ["team_id": "t1", "user_id": "bob", "role": "viewer", "permissions": ["delete"], "is_active": true,
                                        "created_at": member.createdAt]
        var bobEditor = bobMember
        bobEditor["role"] = "editor"
        bobEditor["permissions"] = [String]()
        bobEditor["is_active"] = false
        try await Self.expectChanges(store, request: "r5", {
            try await store.putMember(teamId: "t1", userId: "bob", MembershipInput(role: .editor, isActive: false)).member.revision
        }) { _ in [ExpectedChange(entity: .member, id: "t1/bob", op: .update, before: bobMember, after: bobEditor)] }
        // A new owner: the team, then the owner's membership (an update of bob's).
        let teamJSON: [String: Any] = ["id": "t1", "name": "Team", "owner_id": "ada", "created_at": team.createdAt]
        var teamBob = teamJSON
        teamBob["owner_id"] = "bob"
        teamBob["name"] = "Renamed"
        var bobOwner = bobEditor
        bobOwner["role"] = "owner"
        bobOwner["is_active"] = true
        try await Self.expectChanges(store, request: "r6", {
            try await store.updateTeam("t1", TeamPatch(name: "Renamed", ownerId: "bob")).revision
        }) { _ in
            [ExpectedChange(entity: .team, id: "t1", op: .update, before: teamJSON, after: teamBob),
             ExpectedChange(entity: .member, id: "t1/bob", op: .update, before: bobEditor, after: bobOwner)]
        }
        try await Self.expectChanges(store, request: "r7", { try await store.deleteMember(teamId: "t1", userId: "bob") }) { _ in
            [ExpectedChange(entity: .member, id: "t1/bob", op: .delete, before: bobOwner, after: nil)]
        }
        // Projects and generations: create, update, soft delete (`after` carries `deleted_at`).
        var project: Project!
        try await Self.expectChanges(store, request: "r8", {
            project = try await store.createProject(NewProject(id: "p1", name: "P", ownerId: "bob", teamId: "t1", visibility: .team)).value
            return try store.revision()
        }) { _ in
            [ExpectedChange(entity: .project, id: "p1", op: .create, before: nil,
                            after: ["id": "p1", "name": "P", "owner_id": "bob", "team_id": "t1", "visibility": "team", "created_at": project.createdAt])]
        }
        let projectJSON: [String: Any] = ["id": "p1", "name": "P", "owner_id": "bob", "team_id": "t1", "visibility": "team", "created_at": project.createdAt]
        var projectPublic = projectJSON
        projectPublic["visibility"] = "public"
        projectPublic["team_id"] = nil
        try await Self.expectChanges(store, request: "r9", {
            try await store.updateProject("p1", ProjectPatch(teamId: .some(nil), visibility: .public)).revision
        }) { _ in [ExpectedChange(entity: .project, id: "p1", op: .update, before: projectJSON, after: projectPublic)] }
        var generation: Generation!
        try await Self.expectChanges(store, request: "r10", {
            generation = try await store.createGeneration(NewGeneration(id: "g1", ownerId: "bob", projectId: "p1")).value
            return try store.revision()
        }) { _ in
            [ExpectedChange(entity: .generation, id: "g1", op: .create, before: nil,
                            after: ["id": "g1", "owner_id": "bob", "project_id": "p1", "status": "pending", "created_at": generation.createdAt])]
        }
        let generationJSON: [String: Any] = ["id": "g1", "owner_id": "bob", "project_id": "p1", "status": "pending", "created_at": generation.createdAt]
        var generationDone = generationJSON
        generationDone["status"] = "completed"
        generationDone["media_key"] = "m/g1.png"
        try await Self.expectChanges(store, request: "r11", {
            try await store.updateGeneration("g1", GenerationPatch(status: .completed, mediaKey: .some("m/g1.png"))).revision
        }) { _ in [ExpectedChange(entity: .generation, id: "g1", op: .update, before: generationJSON, after: generationDone)] }
        for (request, entity, id, before, delete) in [
            ("r12", ChangeEntity.generation, "g1", generationDone, { try await store.deleteGeneration("g1") }),
            ("r13", .project, "p1", projectPublic, { try await store.deleteProject("p1") }),
            ("r14", .team, "t1", teamBob, { try await store.deleteTeam("t1") }),
            ("r15", .user, "ada", adaAfter, { try await store.deleteUser("ada") }),
        ] as [(String, ChangeEntity, String, [String: Any], () async throws -> Int64)] {
            try await Self.expectChanges(store, request: request, delete) { revision in
                let items = try await store.changes(ChangeQuery(after: ChangePosition(revision: revision - 1))).items
                var after = before
                let deletedAt = Self.after(items.first?.after)["deleted_at"] as? String
                #expect(deletedAt?.hasPrefix("20") == true, "a soft delete's after carries deleted_at")
                after["deleted_at"] = deletedAt ?? "missing"
                return [ExpectedChange(entity: entity, id: id, op: .delete, before: before, after: after)]
            }
        }
        _ = bob
    }

    @Test("API keys record create and delete without secret or hash; sign-ins record nothing", arguments: backends)
    func keysAndSessions(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        var key: APIKey!
        try await Self.expectChanges(store, request: "k1", {
            let written = try await store.createAPIKey(name: "svc", scopes: [.authz], secret: .generate(), source: .api)
            key = written.value
            return written.revision
        }) { _ in
            [ExpectedChange(entity: .apiKey, id: key.id, op: .create, before: nil,
                            after: ["id": key.id, "name": "svc", "scopes": ["authz"], "created_at": key.createdAt, "last_used_at": NSNull(), "expires_at": NSNull(),
                                    "source": "api"])]
        }
        let keyJSON: [String: Any] = ["id": key.id, "name": "svc", "scopes": ["authz"], "created_at": key.createdAt, "last_used_at": NSNull(), "expires_at": NSNull(),
                                      "source": "api"]
        try await Self.expectChanges(store, request: "k2", { try await store.deleteAPIKey(key.id) }) { _ in
            [ExpectedChange(entity: .apiKey, id: key.id, op: .delete, before: keyJSON, after: nil)]
        }
        try await fixture.user("u1")
        let before = try store.revision()
        try await store.createToken(userId: "u1", hash: Array(repeating: 7, count: 32), expiresAt: Int64.max / 2)
        _ = try await store.deleteToken(hash: Array(repeating: 7, count: 32))
        try await store.endSessions(userId: "u1")
        #expect(try store.revision() == before + 3, "sign-ins and sign-outs are writes")
        #expect(try await store.changes(ChangeQuery(after: ChangePosition(revision: before))).items.isEmpty, "but record no change")
    }

    @Test("an import records one change per entity, in file order, in one revision; a failed one records nothing", arguments: backends)
    func importChanges(_ backend: StoreFactory) async throws {
        let fixture = try backend.make()
        let store = fixture.store
        let lines = [
            #"{"type":"user","id":"u1","email":"u1@example.com","password_hash":"\#(SQLiteStoreImportTests.bobHash)"}"#,
            #"{"type":"user","id":"u2","email":"u2@example.com","deleted_at":"2026-01-02T00:00:00Z"}"#,
            #"{"type":"team","id":"t1","name":"T","owner_id":"u1"}"#,
            #"{"type":"member","team_id":"t1","user_id":"u1","role":"admin"}"#,
            #"{"type":"project","id":"p1","name":"P","owner_id":"u1","team_id":"t1","visibility":"team"}"#,
            #"{"type":"generation","id":"g1","owner_id":"u1","project_id":"p1","status":"completed"}"#,
        ]
        let revision = try WriteAttribution.$current.withValue(WriteAttribution(actor: .cli("import"))) {
            try store.importRecords(from: Self.numbered(lines), hasher: Self.importHasher).revision
        }
        let items = try await store.changes(ChangeQuery(after: ChangePosition(revision: 0))).items
        #expect(items.map { "\($0.entity.rawValue) \($0.entityId) \($0.op.rawValue) \($0.seq)" } == [
            "user u1 create 0", "user u2 create 1", "team t1 create 2", "member t1/u1 create 3", "member t1/u1 update 4",
            "project p1 create 5", "generation g1 create 6",
        ])
        #expect(items.allSatisfy { $0.revision == revision && $0.actor == .cli("import") && $0.requestId == nil })
        #expect(Self.after(items[1].after)["deleted_at"] as? String == "2026-01-02T00:00:00Z")
        #expect(!items[0].after!.contains("pbkdf2"), "no password hash in a change")
        #expect(Self.after(items[4].after)["role"] as? String == "admin" && Self.after(items[4].before)["role"] as? String == "owner")
        // A bad line: nothing stored, nothing recorded.
        let bad = [#"{"type":"user","id":"u3","email":"u3@example.com"}"#, #"{"type":"team","id":"t2","name":"T","owner_id":"nobody"}"#]
        #expect(throws: PortcullisError.self) { try store.importRecords(from: Self.numbered(bad), hasher: Self.importHasher) }
        #expect(try await store.changes(ChangeQuery(after: ChangePosition(revision: revision))).items.isEmpty)
    }
}
