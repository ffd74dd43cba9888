import FoundationEssentials

#if canImport(Glibc)
    import Glibc
    import SpoolFormat
#endif

/// An exclusive `flock(2)` taken without waiting, held until ``release()`` or deinit.
///
/// The kernel releases it when the process dies, so a crash never leaves a stale lock behind.
/// The spool, scheduler and ledger locks are this lock on different files, with their own
/// message for "someone else holds it".
public final class FileLock {
    private var fd: Int32

    /// Opens `path` with `flags` (created with `mode` when `flags` holds `O_CREAT`) and locks it.
    /// - Throws: `busy()` when another process holds the lock; ``FileSystemError`` naming `path`
    ///   when it cannot be opened or locked.
    public init(path: String, flags: Int32, mode: mode_t = 0o644, busy: @autoclosure () -> any Error) throws {
        let fd = open(path, flags | O_CLOEXEC, mode)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open for locking", errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { throw busy() }
            throw FileSystemError(path: path, operation: "flock", errno: code)
        }
        self.fd = fd
    }

    /// Lets go of the lock now rather than at deinit.
    public func release() {
        guard fd >= 0 else { return }
        close(fd)
        fd = -1
    }

    deinit { release() }
}
