import Foundation

/// Wakes the send loop when the entry due first falls due, while nothing else would: no request
/// is in flight and verification hands over nothing new.
struct DueWakeUp {
    private var sleeper: Task<Void, Never>?

    /// Calls `wake` at `due`, in place of any wake-up set before; a wake-up that turns out early
    /// or late does no harm, the loop just looks at the schedule again.
    mutating func set(for due: Date, _ wake: @escaping @Sendable () -> Void) {
        sleeper?.cancel()
        sleeper = Task {
            let wait = due.timeIntervalSinceNow
            if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000) + 1)) }
            if !Task.isCancelled { wake() }
        }
    }

    mutating func cancel() {
        sleeper?.cancel()
        sleeper = nil
    }
}
