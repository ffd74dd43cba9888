import SpoolFormat
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// An exclusive lock on a spool directory, held by whichever spooler writes to it.
///
/// `flock(2)` on a file inside the spool: released by the kernel when the process dies, so a
/// crashed spooler never leaves a stale lock behind.
public final class SpoolLock {
    public static let fileName = ".spooler.lock"
    private let fd: Int32

    public struct Busy: Error, CustomStringConvertible {
        public var directory: String
        public var description: String {
            "another spooler is writing to \(PrintableText.path(directory)) (it holds \(PrintableText.path(directory))/\(SpoolLock.fileName)); wait for it to finish or stop it first"
        }
    }

    /// Takes the lock, or throws ``Busy`` at once if another process holds it.
    public init(directory: String) throws {
        let path = directory + "/" + Self.fileName
        fd = try Self.lockExclusively(path, flags: O_RDWR | O_CREAT | O_NOFOLLOW, busy: Busy(directory: directory))
    }

    deinit { close(fd) }

    /// Opens `path` and takes an exclusive `flock` on it without waiting; returns the descriptor
    /// that holds the lock, or throws `busy` when another process holds it.
    static func lockExclusively(_ path: String, flags: Int32, busy: @autoclosure () -> any Error) throws -> Int32 {
        let fd = open(path, flags | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open for locking", errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw busy() }
            throw FileSystemError(path: path, operation: "flock", errno: code)
        }
        return fd
    }
}
