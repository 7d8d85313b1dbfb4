import Foundation
import PortcullisTestSupport
import Testing

/// An import's changes over HTTP (SPEC 8.2): each imported entity's `after` is its state right after the import, on
/// `/changes` and on the stream, whatever happened to it since (the store derives it; SQLiteStore+DerivedAfter).
@Suite("Changes: an import's changes over HTTP")
struct ImportChangesHTTPTests {
    static let lines = [
        #"{"type":"user","id":"kept","email":"kept@example.com","display_name":"Imported"}"#,
        #"{"type":"user","id":"later-deleted","email":"later-deleted@example.com"}"#,
        #"{"type":"user","id":"born-deleted","email":"born-deleted@example.com","deleted_at":"2025-01-01T00:00:00Z"}"#,
        #"{"type":"project","id":"untouched","name":"Untouched","owner_id":"kept","visibility":"public"}"#,
        #"{"type":"generation","id":"patched","owner_id":"kept","project_id":"untouched","status":"pending"}"#,
        #"{"type":"generation","id":"removed","owner_id":"kept","status":"completed","media_key":"m/removed.png"}"#,
    ]

    static func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

    static func canonical(_ value: Any?) -> String {
        guard let value, !(value is NSNull), let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys]) else {
            return "null"
        }
        return String(decoding: data, as: UTF8.self)
    }

    @Test("imported entities later updated, soft-deleted or never touched show their import-time after, on /changes and the stream")
    func importTimeAfters() async throws {
        try await TestServer.run { client in
            let imported = try await client.send("POST", "/api/v1/import", body: Array(Self.lines.joined(separator: "\n").utf8),
                                                 contentType: "application/x-ndjson", headers: ["X-Request-Id": "req-import-1"])
            #expect(imported.status == 200, "\(imported.text)")
            let revision = try #require(imported.header("X-Portcullis-Revision").flatMap { Int($0) })
            // What the API showed right after the import.
            var shown: [String: [String: Any]] = [:]
            for (key, path) in [("kept", "/api/v1/users/kept"), ("later-deleted", "/api/v1/users/later-deleted"),
                                ("untouched", "/api/v1/projects/untouched"), ("patched", "/api/v1/generations/patched"),
                                ("removed", "/api/v1/generations/removed")] {
                let response = try await client.get(path)
                #expect(response.status == 200, "\(path): \(response.text)")
                shown[key] = response.json
            }
            // Later writes through the API.
            #expect(try await client.patch("/api/v1/users/kept", json: ["display_name": "Renamed"]).status == 200)
            #expect(try await client.delete("/api/v1/users/later-deleted").status == 204)
            #expect(try await client.patch("/api/v1/generations/patched", json: ["status": "completed"]).status == 200)
            #expect(try await client.delete("/api/v1/generations/removed").status == 204)

            let listed = try await ChangesHTTPTests.readAll(client, since: String(revision - 1))
            let importChanges = listed.filter { $0["revision"] as? Int == revision }
            #expect(importChanges.map { $0["entity_id"] as? String } == ["kept", "later-deleted", "born-deleted", "untouched", "patched", "removed"])
            #expect(importChanges.allSatisfy { $0["op"] as? String == "create" && $0["before"] is NSNull })
            // Attributed to the caller and the request, like any write (the import runs on a thread of its own).
            #expect(importChanges.allSatisfy { (Self.object($0["actor"])["kind"] as? String) == "api_key" })
            #expect(importChanges.allSatisfy { $0["request_id"] as? String == "req-import-1" })
            func after(_ id: String) -> [String: Any] { Self.object(importChanges.first { $0["entity_id"] as? String == id }?["after"]) }

            // Updated later: the import's after, not the current state; it is the later change's before.
            #expect(after("kept")["display_name"] as? String == "Imported")
            #expect(Self.canonical(after("kept")) == Self.canonical(shown["kept"]))
            let later = listed.filter { ($0["revision"] as? Int ?? 0) > revision }
            #expect(later.map { "\($0["entity_id"] as? String ?? "") \($0["op"] as? String ?? "")" }
                == ["kept update", "later-deleted delete", "patched update", "removed delete"])
            for change in later {
                let id = change["entity_id"] as? String ?? ""
                #expect(Self.canonical(change["before"]) == Self.canonical(after(id)), "\(id): the import's after is the next change's before")
            }
            // Soft-deleted later: no deleted_at in the import's after.
            #expect(after("later-deleted")["deleted_at"] == nil)
            #expect(Self.canonical(after("later-deleted")) == Self.canonical(shown["later-deleted"]))
            #expect(after("removed")["deleted_at"] == nil && after("removed")["media_key"] as? String == "m/removed.png")
            #expect(after("patched")["status"] as? String == "pending")
            // Never touched again: the entity as the API shows it now.
            let untouched = try await client.get("/api/v1/projects/untouched")
            #expect(Self.canonical(after("untouched")) == Self.canonical(untouched.json))
            // Soft-deleted by the import itself and never touched: its after carries the file's deleted_at.
            #expect(after("born-deleted")["deleted_at"] as? String == "2025-01-01T00:00:00Z")
            #expect(after("born-deleted")["email"] as? String == "born-deleted@example.com")

            // The id filter reads the same changes.
            let kept = try #require(try await client.get("/api/v1/changes?entity_id=kept").json["items"] as? [[String: Any]])
            #expect(kept.map { $0["op"] as? String } == ["create", "update"])
            #expect(Self.canonical(Self.object(kept.first?["after"])) == Self.canonical(after("kept")))
            #expect((Self.object(kept.last?["after"]))["display_name"] as? String == "Renamed")

            // The stream gives every change exactly as /changes does.
            let reader = try await ChangeStreamTests.stream(client, "/api/v1/changes/stream?since=\(revision - 1)")
            let events = await reader.events(listed.count)
            #expect(events.map { Self.canonical($0.json) } == listed.map { Self.canonical($0) })
        }
    }
}
