import FoundationEssentials
import SpoolFormat

#if canImport(Glibc)
    import Glibc
#endif

/// An exclusive lock on a spool directory, held by whichever spooler writes to it.
///
/// `flock(2)` on a file inside the spool: released by the kernel when the process dies, so a
/// crashed spooler never leaves a stale lock behind.
public final class SpoolLock {
    public static let fileName = ".spooler.lock"
    private let lock: FileLock

    public struct Busy: Error, CustomStringConvertible {
        public var directory: String
        public var description: String {
            "another spooler is writing to \(PrintableText.path(directory)) (it holds \(PrintableText.path(directory))/\(SpoolLock.fileName)); wait for it to finish or stop it first"
        }
    }

    /// Takes the lock, or throws ``Busy`` at once if another process holds it.
    public init(directory: String) throws {
        let path = directory + "/" + Self.fileName
        lock = try FileLock(path: path, flags: O_RDWR | O_CREAT | O_NOFOLLOW, busy: Busy(directory: directory))
    }
}
