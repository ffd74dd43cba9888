import Dispatch
import FoundationEssentials
import Synchronization

/// The time source of the scheduler; tests inject one that never really waits.
public protocol SchedulerClock: AnyObject, Sendable {
    func now() -> Date
    /// Waits until `date`; returns false at once when the scheduler is being stopped.
    func sleep(until date: Date) -> Bool
}

/// The wall clock. ``stop()`` (from a signal handler's queue) ends the current and every later sleep.
public final class SystemClock: SchedulerClock, Sendable {
    private let wake = DispatchSemaphore(value: 0)
    private let stopped = Mutex(false)

    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until date: Date) -> Bool {
        if isStopped { return false }
        let seconds = date.timeIntervalSinceNow
        if seconds <= 0 { return true }
        // Wall time, so a suspended machine wakes up on the calendar, not after the lost hours.
        if wake.wait(wallTimeout: .now() + seconds) == .success {
            wake.signal()
            return false
        }
        return !isStopped
    }

    public func stop() {
        let first = stopped.withLock { stopped in
            defer { stopped = true }
            return !stopped
        }
        if first { wake.signal() }
    }

    public var isStopped: Bool {
        stopped.withLock { $0 }
    }
}

/// When `spooler run` spools: every `interval` plus up to `jitter` at random, and at once at
/// start when the last report is older than the interval (catch-up after downtime).
public struct ReportScheduler {
    public var interval: TimeInterval
    public var jitter: TimeInterval
    public var clock: any SchedulerClock
    /// A number in 0..<1 per interval; injectable for tests.
    public var random: () -> Double

    public init(interval: TimeInterval, jitter: TimeInterval, clock: any SchedulerClock, random: @escaping () -> Double = { Double.random(in: 0..<1) }) {
        self.interval = interval
        self.jitter = jitter
        self.clock = clock
        self.random = random
    }

    /// The first report is due now when there never was one or the last is an interval old;
    /// otherwise one interval (plus jitter) after the last.
    public func firstDue(lastReport: Date?, now: Date) -> Date {
        guard let lastReport, now.timeIntervalSince(lastReport) < interval, lastReport <= now else { return now }
        return nextDue(after: lastReport)
    }

    public func nextDue(after date: Date) -> Date {
        date.addingTimeInterval(interval + max(0, jitter) * random())
    }

    public enum Event {
        /// A report is about to be spooled (catch-up tells whether it is the one at start).
        case due(Date, catchUp: Bool)
        case waiting(until: Date)
    }

    /// Runs until the clock is stopped. `spool` runs to completion before a stop is honoured,
    /// so a stop never leaves a partial entry. A failing `spool` is reported through `failed`
    /// and retried at the next due time.
    /// - Returns: how many reports were spooled.
    @discardableResult
    public func run(
        lastReport: Date?, maxReports: Int? = nil, spool: () throws -> Void,
        failed: (any Error, Date) -> Void = { _, _ in }, event: (Event) -> Void = { _ in }
    ) -> Int {
        var due = firstDue(lastReport: lastReport, now: clock.now())
        var catchUp = due <= clock.now()
        var spooled = 0
        while maxReports.map({ spooled < $0 }) ?? true {
            if due > clock.now() { event(.waiting(until: due)) }
            guard clock.sleep(until: due) else { break }
            event(.due(due, catchUp: catchUp))
            catchUp = false
            do {
                try spool()
                spooled += 1
                due = nextDue(after: clock.now())
            } catch {
                due = nextDue(after: clock.now())
                failed(error, due)
            }
        }
        return spooled
    }
}
