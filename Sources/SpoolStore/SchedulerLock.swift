import FoundationEssentials
import SpoolFormat

#if canImport(Glibc)
    import Glibc
#endif

/// The lock that makes one spooler the spool's only *producer*: `spooler run` holds it for as
/// long as it runs, `spooler collect` while it collects.
///
/// It is `flock(2)` on the spool directory itself (no extra file in the spool). It is separate
/// from ``SpoolLock``, which every writer (including `run`, during each report) takes only while it
/// changes the spool: so a scheduled spooler that sleeps between reports stops a second `run` or
/// a `collect`, but never blocks maintenance that takes only the spool lock.
public final class SchedulerLock {
    private let lock: FileLock

    public struct Busy: Error, CustomStringConvertible {
        public var directory: String
        public var description: String {
            "another spooler is writing to \(PrintableText.path(directory)) (a 'spooler run' or 'spooler collect' holds the directory's lock); stop it first, or let it report"
        }
    }

    /// Takes the lock, or throws ``Busy`` at once if another process holds it.
    public init(directory: String) throws {
        lock = try FileLock(path: directory, flags: O_RDONLY | O_DIRECTORY, busy: Busy(directory: directory))
    }
}
