import PortcullisModel
import PortcullisStore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Hands files that root creates in a data directory to the directory's owner.
///
/// On an installed system the service runs as `portcullis` and owns `/var/lib/portcullis`; an administrator often
/// runs `sudo portcullis restore …`. A database, WAL or lock file left owned by root would stop the service from
/// opening it, so commands that may run as root give what they create to the data directory's owner.
public enum DataDirectoryOwnership {
    /// Gives the open file to the data directory's owner when running as root (otherwise does nothing).
    public static func adopt(descriptor: Int32, dataDirectory: String) {
        guard geteuid() == 0, let owner = owner(of: dataDirectory), owner.uid != 0 else { return }
        _ = fchown(descriptor, owner.uid, owner.gid)
    }

    /// Gives these paths (those that exist) to the data directory's owner when running as root.
    public static func adopt(paths: [String], dataDirectory: String) {
        guard geteuid() == 0, let owner = owner(of: dataDirectory), owner.uid != 0 else { return }
        for path in paths {
            _ = lchown(path, owner.uid, owner.gid)
        }
    }

    /// The owning user and group of a path.
    public static func owner(of path: String) -> (uid: uid_t, gid: gid_t)? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return (info.st_uid, info.st_gid)
    }
}
