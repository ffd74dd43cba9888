import SpoolFormat
import Foundation
import SpoolStore
#if canImport(Glibc)
import Glibc
#endif

/// One upload at a time per ledger: an exclusive `flock` on `LEDGER.lock`, released by the
/// kernel if the process dies.
public final class LedgerLock {
    private var descriptor: Int32

    public struct Busy: Error, CustomStringConvertible {
        public var path: String
        public var description: String { "another uploader is using the ledger (\(PrintableText.path(path)) is locked); wait for it to finish" }
    }

    public init(ledgerPath: String) throws {
        let directory = FileSystem.directory(containing: ledgerPath)
        if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        let path = ledgerPath + ".lock"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LedgerError(path: path, reason: "cannot open the lock file (\(String(cString: strerror(errno))))") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(descriptor)
            descriptor = -1
            throw Busy(path: path)
        }
    }

    public func release() {
        guard descriptor >= 0 else { return }
        close(descriptor)
        descriptor = -1
    }

    deinit { release() }
}
