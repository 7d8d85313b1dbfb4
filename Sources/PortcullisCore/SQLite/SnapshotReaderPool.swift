import PortcullisModel
import Synchronization

/// Read connections for decisions: each read runs in one transaction, so it sees one consistent snapshot.
///
/// Connections are handed out exclusively and returned after use; the pool grows on demand up to
/// `capacity` kept connections (extra ones under a burst are closed after use).
package final class SnapshotReaderPool: Sendable {
    private let path: String
    private let capacity: Int
    private let busyTimeoutMilliseconds: Int32
    private let idle: Mutex<[ReaderConnection]>
    package let registry: QueryRegistry

    package init(path: String, capacity: Int, busyTimeoutMilliseconds: Int32, registry: QueryRegistry = QueryRegistry()) {
        self.registry = registry
        self.path = path
        self.capacity = capacity
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.idle = Mutex([])
    }

    /// Runs `body` on a connection without an explicit transaction: for a single statement, which SQLite runs
    /// in its own implicit read transaction (one snapshot) anyway, saving the BEGIN/COMMIT round.
    package func withConnection<T>(_ body: (PreparedConnection) throws(PortcullisError) -> T) throws(PortcullisError) -> T {
        try withReader { reader throws(PortcullisError) in try body(reader.connection) }
    }

    /// Hands out a connection for `body`, then resets its statements and returns it to the pool.
    private func withReader<T>(_ body: (ReaderConnection) throws(PortcullisError) -> T) throws(PortcullisError) -> T {
        let reader: ReaderConnection
        if let idleReader = idle.withLock({ $0.popLast() }) {
            reader = idleReader
        } else {
            reader = try ReaderConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, registry: registry)
        }
        let start = registry.transactionObserver == nil ? 0 : monotonicNanoseconds()
        defer {
            reader.connection.resetActive()
            release(reader)
            registry.transactionObserver?(monotonicNanoseconds() - start)
        }
        return try body(reader)
    }

    /// Runs `body` inside one read transaction on a connection held for the duration.
    package func read<T>(_ body: (PreparedConnection) throws(PortcullisError) -> T) throws(PortcullisError) -> T {
        try withReader { reader throws(PortcullisError) in
            try reader.connection.statement(Self.begin).stepToEnd()
            do throws(PortcullisError) {
                let result = try body(reader.connection)
                // Statements left mid-result would keep this snapshot alive into the next read (see `resetActive`).
                reader.connection.resetActive()
                try reader.connection.statement(Self.commit).stepToEnd()
                return result
            } catch {
                reader.connection.resetActive()
                try? reader.connection.statement(Self.rollback).stepToEnd()
                throw error
            }
        }
    }

    private static let begin = StatementKey("BEGIN DEFERRED")
    private static let commit = StatementKey("COMMIT")
    private static let rollback = StatementKey("ROLLBACK")

    private func release(_ reader: ReaderConnection) {
        idle.withLock { idle in
            if idle.count < capacity { idle.append(reader) }
        }
    }
}

/// Owns one connection. `@unchecked Sendable` because the pool hands each one to a single caller at a time:
/// it is only ever used between `popLast()` and `release(_:)`, never concurrently.
final class ReaderConnection: @unchecked Sendable {
    let connection: PreparedConnection

    init(path: String, busyTimeoutMilliseconds: Int32, registry: QueryRegistry) throws(PortcullisError) {
        connection = try PreparedConnection(path: path, busyTimeoutMilliseconds: busyTimeoutMilliseconds, registry: registry)
    }
}

extension PreparedStatement {
    package func stepToEnd() throws(PortcullisError) {
        while try step() {}
    }
}
