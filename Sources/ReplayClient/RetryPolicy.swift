import Foundation

/// When to try an entry again, and when to give up.
///
/// Backoff is exponential with jitter and a cap: attempt *n* (counting from 1) that failed is
/// retried after a random delay between half and all of `min(cap, base × 2^(n−1))`. A
/// `Retry-After` on 429 or 503 replaces the backoff, capped by `cap` too (one answer must not
/// park an entry for years). 4xx other than 408, 425 and 429 is permanent; network errors, 408,
/// 425, 429 and 5xx are retried. An entry is given up (a dead letter) only while the endpoint is
/// otherwise answering, once it is older than `giveUpAfter` or has failed `maxAttempts` times.
public struct RetryPolicy: Sendable, Equatable {
    public var base: TimeInterval
    public var cap: TimeInterval
    /// `nil`: no limit on attempts; give-up is by age.
    public var maxAttempts: Int?
    /// Give up on an entry first seen longer ago than this.
    public var giveUpAfter: TimeInterval

    /// Three weeks: an endpoint down over a long holiday does not dead-letter the spool.
    public static let defaultGiveUpAfter: TimeInterval = 21 * 86_400

    public init(base: TimeInterval = 1, cap: TimeInterval = 300, maxAttempts: Int? = nil, giveUpAfter: TimeInterval = Self.defaultGiveUpAfter) {
        self.base = base
        self.cap = cap
        self.maxAttempts = maxAttempts
        self.giveUpAfter = giveUpAfter
    }

    /// Why an entry that failed again is given up, or `nil` to retry it.
    public func giveUp(attempts: Int, firstSeen: Date, now: Date = Date()) -> String? {
        if let maxAttempts, attempts >= maxAttempts { return "gave up after \(attempts) attempts" }
        let age = now.timeIntervalSince(firstSeen)
        if age >= giveUpAfter { return "gave up after \(attempts) attempts over \(Int(age / 86_400)) days (--give-up-after)" }
        return nil
    }

    /// What an answer means for an entry.
    public enum Verdict: Sendable, Equatable {
        case delivered
        case retry
        case permanent
    }

    public static func verdict(status: Int) -> Verdict {
        switch status {
        case 200..<300: return .delivered
        case 408, 425, 429: return .retry
        case 400..<500: return .permanent
        default: return .retry
        }
    }

    /// The backoff after `attempts` failed attempts, jittered.
    public func backoff(afterAttempts attempts: Int, random: Double = Double.random(in: 0...1)) -> TimeInterval {
        let exponent = Double(max(0, min(attempts - 1, 62)))
        let ceiling = min(cap, base * pow(2, exponent))
        return ceiling / 2 + ceiling / 2 * random
    }

    /// The delay before the next attempt: `Retry-After` when the answer was 429 or 503 and carried
    /// one (at most `cap`), else the jittered backoff.
    public func delay(afterAttempts attempts: Int, status: Int?, retryAfter: String?, now: Date = Date()) -> TimeInterval {
        if let status, status == 429 || status == 503, let retryAfter, let wait = Self.parseRetryAfter(retryAfter, now: now) {
            return min(wait, cap)
        }
        return backoff(afterAttempts: attempts)
    }

    /// Parses `Retry-After` (RFC 9110 §10.2.3): delay seconds, or an HTTP date (IMF-fixdate,
    /// and the obsolete RFC 850 and asctime forms). Returns the wait from `now`, never negative.
    public static func parseRetryAfter(_ value: String, now: Date = Date()) -> TimeInterval? {
        let text = value.trimmingCharacters(in: .whitespaces)
        if !text.isEmpty, text.allSatisfy({ $0.isASCII && $0.isNumber }) {
            // A value of any length parses (up to infinity); the caller caps it.
            return TimeInterval(text).map { max(0, $0.isFinite ? $0 : .greatestFiniteMagnitude) }
        }
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.timeZone = TimeZone(identifier: "GMT")
            formatter.dateFormat = format
            if let date = formatter.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
