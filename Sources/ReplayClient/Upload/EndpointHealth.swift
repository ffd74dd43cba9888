/// Tells an endpoint outage from entries that fail, as mail servers tell a dead destination from
/// a bad message.
///
/// Failures worth retrying (network errors, 5xx, 408, 425, 429) across distinct entries, with no
/// answer in between that shows the endpoint working (a delivery, or a permanent refusal), are
/// the endpoint's problem: once `threshold` distinct entries (or every entry this run has to send,
/// if fewer, after at least `minimumFailures` attempts) failed in a row, the endpoint is paused
/// for the rest of the run. The threshold is never below the requests in flight: a failure is
/// often answered at once while a delivery waits for the endpoint's synced commit, so with many
/// in flight a whole window's failures can come back before its first success. A failure counts
/// against its entry (attempts, give-up) only when the endpoint has answered in this run and is
/// not paused, so an outage never dead-letters a spool.
struct EndpointHealth {
    /// Distinct entries failing in a row that make an outage, at the least.
    static let minimumThreshold = 10
    /// Distinct entries failing in a row that make an outage: `minimumThreshold`, or the requests
    /// in flight if more.
    let threshold: Int
    /// Failed attempts in a row, at least, before a small spool's endpoint is paused: one lost
    /// answer must not end the run.
    static let minimumFailures = 3

    private var hasAnswered = false
    private var failing: Set<Int64> = []
    private var failures = 0
    /// Why the endpoint is paused, once it is.
    private(set) var paused: String?

    init(concurrency: Int) { threshold = max(Self.minimumThreshold, concurrency) }

    /// The endpoint answered as a working endpoint does.
    mutating func answered() {
        hasAnswered = true
        failing.removeAll()
        failures = 0
    }

    /// Pauses the endpoint for the rest of the run, for a reason found elsewhere (``FailureWatch``).
    mutating func pause(because reason: String) {
        if paused == nil { paused = reason }
    }

    /// An attempt of entry `id` failed in a way worth retrying; returns whether the failure
    /// counts against the entry.
    /// - Parameter entriesToSend: the entries this run has to send, known so far.
    mutating func failed(entry id: Int64, last: String, entriesToSend: Int) -> Bool {
        let counts = hasAnswered && paused == nil
        failing.insert(id)
        failures += 1
        if paused == nil, failing.count >= min(threshold, max(1, entriesToSend)), failures >= Self.minimumFailures {
            paused = "\(failing.count) entr\(failing.count == 1 ? "y" : "ies") in a row failed with no success in between (last: \(last))"
        }
        return counts
    }
}
