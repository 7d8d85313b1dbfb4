import PortcullisModel
import PortcullisStore
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The data directory's privacy (SPEC 8.1): the directory is 0700 and every file in it 0600, whatever the umask.
public enum DataDirectory {
    /// Creates the directory if needed and makes it and its files private. It also sets the process umask to 077, so
    /// everything Portcullis creates from then on — database, WAL and shared-memory files, the cache file, keys, import
    /// spools, backups — is private from birth rather than fixed afterwards.
    public static func prepare(_ path: String) throws {
        umask(0o077)
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        guard chmod(path, 0o700) == 0 else {
            throw PortcullisError(.dataDirectoryUnusable, "cannot make \(path) private: \(String(cString: strerror(errno)))")
        }
        for name in (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? [] {
            var info = stat()
            let file = path + "/" + name
            // Regular files only: a symlink's target is not ours to change.
            guard lstat(file, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_mode & 0o077 != 0 else { continue }
            _ = chmod(file, 0o600)
        }
    }
}
