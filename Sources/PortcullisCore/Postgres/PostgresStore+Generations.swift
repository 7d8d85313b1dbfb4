import PortcullisModel
import PortcullisStore
import PostgresNIO

/// Generations, with the same versions and changes as `SQLiteStore+Generations`.
extension PostgresStore: GenerationStore {
    /// Inserts the generation; moves no version.
    @discardableResult
    public func createGeneration(_ input: NewGeneration) async throws -> Written<Generation> {
        let logger = logger
        return try await write { connection, _, changes in
            try await Self.insertGeneration(connection, input, changes: &changes, logger: logger)
        }
    }

    /// A live generation (even in a deleted project), or `not_found`.
    public func generation(_ id: String) async throws -> Generation {
        let logger = logger
        return try await read { connection in
            let rows = try await Self.query(connection, "SELECT \(Self.generationColumns) FROM generations WHERE id = $1 AND deleted_at IS NULL",
                                            .of(id), logger: logger)
            guard let row = rows.first else { throw PortcullisError.notFound("generation", id) }
            return try Self.generation(row)
        }
    }

    /// Applies the patch and moves `generation:<id>`.
    @discardableResult
    public func updateGeneration(_ id: String, _ patch: GenerationPatch) async throws -> Written<Generation> {
        let logger = logger
        return try await write { connection, changed, changes in
            changed.append(.generation(id))
            let before = try await Self.fetchLive(connection, .generations, columns: Self.generationColumns, id, logger: logger, Self.generation)
            var generation = before
            if let ownerId = patch.ownerId {
                try await Self.requireReference(connection, .users, ownerId, field: "owner_id", logger: logger)
                generation.ownerId = ownerId
            }
            if case .some(let projectId) = patch.projectId {
                try await Self.requireReference(connection, .projects, projectId, field: "project_id", logger: logger)
                generation.projectId = projectId
            }
            if let status = patch.status { generation.status = status }
            if case .some(let mediaKey) = patch.mediaKey { generation.mediaKey = mediaKey }
            try await Self.execute(connection, "UPDATE generations SET owner_id = $1, project_id = $2, status = $3, media_key = $4 WHERE id = $5",
                                   .of(generation.ownerId, generation.projectId, generation.status.rawValue, generation.mediaKey, id),
                                   logger: logger)
            try changes.updated(before, generation)
            return generation
        }
    }

    /// Soft-deletes the generation and moves `generation:<id>`.
    @discardableResult
    public func deleteGeneration(_ id: String) async throws -> Int64 {
        let logger = logger
        return try await write { connection, changed, changes in
            try await Self.softDelete(connection, .generations, columns: Self.generationColumns, id, logger: logger, changes: &changes,
                                      Self.generation) {
                var generation = $0
                generation.deletedAt = nil
                return generation
            }
            changed.append(.generation(id))
        }.revision
    }

    /// One page of live generations in id order (those of deleted projects included).
    public func generations(_ page: PageRequest) async throws -> Page<Generation> {
        let logger = logger
        return try await read { connection in
            try await Self.page(connection, .generations, columns: Self.generationColumns, page, logger: logger, Self.generation, id: \.id)
        }
    }
}
