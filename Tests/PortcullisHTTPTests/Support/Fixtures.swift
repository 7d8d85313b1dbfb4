import Testing

/// Small helpers to build a directory over HTTP and read decisions.
extension HTTPClient {
    @discardableResult
    func create(_ collection: String, _ body: [String: Any]) async throws -> Response {
        let response = try await post("/api/v1/\(collection)", json: body)
        #expect(response.status == 201, "create \(collection) \(body): \(response.status) \(response.text)")
        return response
    }

    /// `check` for a generation/project/team; returns (allowed, reason, revision).
    func decide(_ user: String, _ action: String, _ type: String, _ id: String) async throws -> (allowed: Bool, reason: String, revision: Int) {
        let response = try await post("/api/v1/authz/check", json: ["user_id": user, "action": action, "resource_type": type, "resource_id": id])
        #expect(response.status == 200, "check: \(response.status) \(response.text)")
        let json = response.json
        return (json["allowed"] as? Bool ?? false, json["reason"] as? String ?? "", json["revision"] as? Int ?? -1)
    }

    /// The current data revision, read through a decision.
    func revision() async throws -> Int {
        try await decide("nobody", "read", "team", "none").revision
    }

    /// A user `owner`, a team `t1` owned by it, project `p1` (team visibility) and generation `g1` in it, and a member `m1` (viewer).
    func seedSmallDirectory() async throws {
        try await create("users", ["id": "owner", "email": "owner@example.com"])
        try await create("users", ["id": "m1", "email": "m1@example.com"])
        try await create("users", ["id": "outsider", "email": "outsider@example.com"])
        try await create("teams", ["id": "t1", "name": "Team", "owner_id": "owner"])
        let member = try await put("/api/v1/teams/t1/members/m1", json: ["role": "viewer"])
        #expect(member.status == 201)
        try await create("projects", ["id": "p1", "name": "P", "owner_id": "owner", "team_id": "t1", "visibility": "team"])
        try await create("generations", ["id": "g1", "owner_id": "owner", "project_id": "p1", "status": "completed", "media_key": "a/g1.png"])
    }
}
