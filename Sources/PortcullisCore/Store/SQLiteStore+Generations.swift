import PortcullisModel
import PortcullisPolicy
import PortcullisSQLite
import GRDB

/// Generations: management writes through GRDB, the end-user read on the reader pool.
extension SQLiteStore: GenerationStore {
    /// Inserts the generation in one write; moves no version.
    @discardableResult
    public func createGeneration(_ input: NewGeneration) async throws -> Written<Generation> {
        try await write { db, _, changes in try Self.insertGeneration(db, input, changes: &changes) }
    }

    /// On the reader pool rather than GRDB: end-user reads and media URLs fetch generations on every call.
    public func generation(_ id: String) async throws -> Generation {
        let generation = try readers.withConnection { connection throws(PortcullisError) -> Generation? in
            let statement = try connection.statement(Self.generationByIdSQL)
            statement.bind(1, id)
            guard try statement.step() else { return nil }
            return Generation(id: statement.text(0) ?? "", ownerId: statement.text(1) ?? "", projectId: statement.text(2),
                              status: GenerationStatus(rawValue: statement.text(3) ?? "") ?? .pending, mediaKey: statement.text(4),
                              createdAt: statement.text(5) ?? "", deletedAt: statement.text(6))
        }
        guard let generation else { throw PortcullisError.notFound("generation", id) }
        return generation
    }

    /// Applies the patch and moves `generation:<id>`.
    @discardableResult
    public func updateGeneration(_ id: String, _ patch: GenerationPatch) async throws -> Written<Generation> {
        try await write { db, changed, changes in
            changed.append(.generation(id))
            let before = try Self.fetchLive(db, .generations, columns: Self.generationColumns, id, Self.generation)
            var generation = before
            if let ownerId = patch.ownerId {
                try Self.requireReference(db, .users, ownerId, field: "owner_id")
                generation.ownerId = ownerId
            }
            if case .some(let projectId) = patch.projectId {
                try Self.requireReference(db, .projects, projectId, field: "project_id")
                generation.projectId = projectId
            }
            if let status = patch.status { generation.status = status }
            if case .some(let mediaKey) = patch.mediaKey { generation.mediaKey = mediaKey }
            try db.execute(sql: "UPDATE generations SET owner_id = ?, project_id = ?, status = ?, media_key = ? WHERE id = ?",
                           arguments: [generation.ownerId, generation.projectId, generation.status.rawValue, generation.mediaKey, id])
            try changes.updated(before, generation)
            return generation
        }
    }

    /// Soft-deletes the generation and moves `generation:<id>`.
    @discardableResult
    public func deleteGeneration(_ id: String) async throws -> Int64 {
        try await write { db, changed, changes in
            try Self.softDelete(db, .generations, columns: Self.generationColumns, id, Self.generation, changes: &changes)
            changed.append(.generation(id))
        }.revision
    }

    /// Reads the page through GRDB, keyset-paginated on the id.
    public func generations(_ page: PageRequest) async throws -> Page<Generation> {
        try await read { db in try Self.page(db, .generations, columns: Self.generationColumns, page, Self.generation, id: \.id) }
    }
}
