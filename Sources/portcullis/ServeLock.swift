import ArgumentParser
import Foundation
import PortcullisCore

/// Keeps `restore` (and a second `serve`) away from the data directory while this server runs.
enum ServeLock {
    /// Takes `<data-dir>/serve.lock` for the life of the process, or stops the start (exit 1) naming who holds it.
    static func hold(_ dataDirectory: String) throws {
        do {
            try DataDirectoryLock.holdUntilExit(dataDirectory: dataDirectory)
        } catch let error as PortcullisError {
            FileHandle.standardError.write(Data("portcullis serve: \(error.message)\n".utf8))
            throw ExitCode.failure
        }
    }
}
