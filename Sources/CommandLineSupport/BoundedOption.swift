import ArgumentParser

/// Range checks for numeric options, shared by the three commands so that every out-of-range,
/// infinite or NaN value is a usage error (exit 2) naming the option and the range allowed,
/// never a crash or a silent truncation (`--port 70000`, `--timeout 1e30`, `--connect-timeout inf`).
public enum BoundedOption {
    /// Throws a `ValidationError` unless `value` lies in `range`; NaN and infinities never do
    /// when the range is finite.
    /// - Parameters:
    ///   - option: the option as typed, e.g. `--timeout`.
    ///   - unit: appended to the range in the message, e.g. `seconds`.
    public static func check<Value: Comparable & CustomStringConvertible>(
        _ value: Value, _ option: String, in range: ClosedRange<Value>, unit: String? = nil
    ) throws {
        guard range.contains(value) else {
            throw ValidationError("\(option) \(value) is out of range: allowed \(range.lowerBound)...\(range.upperBound)" + (unit.map { " \($0)" } ?? ""))
        }
    }

    /// As ``check(_:_:in:unit:)`` for an option that may be absent.
    public static func check<Value: Comparable & CustomStringConvertible>(
        _ value: Value?, _ option: String, in range: ClosedRange<Value>, unit: String? = nil
    ) throws {
        if let value { try check(value, option, in: range, unit: unit) }
    }

    /// Seconds allowed for timeouts and waits: a millisecond to a year, so that conversions to
    /// milliseconds or nanoseconds and date arithmetic never overflow.
    public static let seconds: ClosedRange<Double> = 0.001...31_536_000
    /// TCP ports to listen on (0 picks a free port).
    public static let port: ClosedRange<Int> = 0...65_535
}
