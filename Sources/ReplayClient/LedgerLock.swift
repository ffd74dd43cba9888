import Foundation
import SpoolFormat
import SpoolStore

#if canImport(Glibc)
    import Glibc
#endif

/// One upload at a time per ledger: an exclusive `flock` on `LEDGER.lock`, released by the
/// kernel if the process dies.
public final class LedgerLock {
    private let lock: FileLock

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
        lock = try FileLock(path: path, flags: O_RDWR | O_CREAT, mode: 0o600, busy: Busy(path: path))
    }

    public func release() { lock.release() }
}
