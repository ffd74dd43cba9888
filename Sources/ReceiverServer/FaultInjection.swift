import Foundation

/// Faults the receiver injects into entry requests (never into `GET /summary`), for tests.
///
/// Each entry request first waits `delayMilliseconds`. Then, with probability `dropRate`, its
/// connection is closed without an answer: half of those drops happen before the entry is
/// looked at, half after it was stored (the answer is lost, as when a network fails late).
/// Otherwise, with probability `failRate`, it is answered `failStatus` (with `Retry-After` when
/// set) without being stored. `failCount`, when set, limits failures to the first so many
/// requests, so a test can make exactly one request fail.
public struct FaultInjection: Sendable, Equatable {
    public var failRate: Double
    public var failStatus: Int
    public var failCount: Int?
    public var retryAfter: RetryAfterValue?
    public var delayMilliseconds: Int
    public var dropRate: Double

    public init(
        failRate: Double = 0, failStatus: Int = 503, failCount: Int? = nil, retryAfter: RetryAfterValue? = nil,
        delayMilliseconds: Int = 0, dropRate: Double = 0
    ) {
        self.failRate = failRate
        self.failStatus = failStatus
        self.failCount = failCount
        self.retryAfter = retryAfter
        self.delayMilliseconds = delayMilliseconds
        self.dropRate = dropRate
    }

    public var isActive: Bool { failRate > 0 || delayMilliseconds > 0 || dropRate > 0 }
}

/// The `Retry-After` value a failing receiver sends: delay seconds, or an HTTP date that many
/// seconds ahead (RFC 9110 §10.2.3 allows both forms).
public enum RetryAfterValue: Sendable, Equatable, CustomStringConvertible {
    case seconds(Int)
    case httpDate(secondsAhead: Int)

    /// Parses `N` (seconds) or `http-date:N` (an HTTP date N seconds after the answer).
    public init?(argument: String) {
        if let seconds = Int(argument), seconds >= 0 {
            self = .seconds(seconds)
        } else if argument.hasPrefix("http-date:"), let ahead = Int(argument.dropFirst("http-date:".count)), ahead >= 0 {
            self = .httpDate(secondsAhead: ahead)
        } else {
            return nil
        }
    }

    public func headerValue(now: Date = Date()) -> String {
        switch self {
        case .seconds(let seconds): return String(seconds)
        case .httpDate(let ahead): return HTTPDate.format(now.addingTimeInterval(TimeInterval(ahead)))
        }
    }

    public var description: String {
        switch self {
        case .seconds(let seconds): return String(seconds)
        case .httpDate(let ahead): return "http-date:\(ahead)"
        }
    }
}

/// IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the HTTP date format senders must use.
public enum HTTPDate {
    public static func format(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.up))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int32) -> String { n < 10 ? "0\(n)" : "\(n)" }
        return "\(days[Int(parts.tm_wday)]), \(two(parts.tm_mday)) \(months[Int(parts.tm_mon)]) \(parts.tm_year + 1900) "
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec)) GMT"
    }
}

/// Decides, request by request, which fault to inject.
final class FaultInjector: @unchecked Sendable {
    enum Decision: Equatable { case none, fail, dropBefore, dropAfter }

    let faults: FaultInjection
    private let lock = NSLock()
    private var failures = 0

    init(_ faults: FaultInjection) { self.faults = faults }

    func decide() -> Decision {
        if faults.dropRate > 0, Double.random(in: 0..<1) < faults.dropRate {
            return Bool.random() ? .dropBefore : .dropAfter
        }
        guard faults.failRate > 0, Double.random(in: 0..<1) < faults.failRate else { return .none }
        lock.lock()
        defer { lock.unlock() }
        if let limit = faults.failCount, failures >= limit { return .none }
        failures += 1
        return .fail
    }
}
