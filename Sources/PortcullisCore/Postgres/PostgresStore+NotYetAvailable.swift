import PortcullisModel
import PortcullisStore

/// The part of `Store` that phase 1 of the PostgreSQL backend does not implement yet (docs/scaling.md): the NDJSON
/// import, whose protocol is synchronous and streams a file through one transaction. It answers `store_error`
/// naming what is missing, never a wrong answer.
extension PostgresStore: ImportStore {
    static func notYetAvailable(_ what: String) -> PortcullisError {
        PortcullisError(.storeError, "\(what) is not yet available on the PostgreSQL backend (docs/scaling.md)")
    }

    // MARK: ImportStore

    public func importRecords(from lines: some Sequence<(line: Int, text: Substring?)>, hasher: PasswordHasher) throws -> Written<ImportCounts> {
        throw Self.notYetAvailable("import")
    }
}
