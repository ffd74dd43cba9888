import Foundation
import HeapModule

/// What is due when: the entries waiting to be sent, earliest due first, and how many requests
/// are in flight out of the concurrency allowed.
struct SendSchedule {
    /// Ordered by due time, then by name, so that entries due together go in spool order.
    private struct Due: Comparable {
        var work: Ledger.Work
        static func < (a: Due, b: Due) -> Bool { (a.work.due, a.work.name) < (b.work.due, b.work.name) }
        static func == (a: Due, b: Due) -> Bool { a.work.due == b.work.due && a.work.name == b.work.name }
    }

    let concurrency: Int
    private var waiting = Heap<Due>()
    private(set) var inFlight = 0

    init(concurrency: Int) { self.concurrency = concurrency }

    /// Entries not sent yet, or waiting for their next attempt.
    var waitingCount: Int { waiting.count }
    /// The entry due first.
    var next: Ledger.Work? { waiting.min?.work }

    mutating func add(_ work: some Sequence<Ledger.Work>) {
        for item in work { waiting.insert(Due(work: item)) }
    }

    /// Takes the entries due by `now`, as many as the concurrency leaves room for; each counts as
    /// in flight until ``finished(_:record:)``.
    /// - Parameter room: take nothing until this many can be taken (a whole pipeline's worth), so
    ///   that entries coming back one at a time do not go out one per request.
    mutating func takeDue(now: Date, room: Int = 1) -> [Ledger.Work] {
        guard concurrency - inFlight >= min(room, concurrency) else { return [] }
        var taken: [Ledger.Work] = []
        while inFlight < concurrency, let first = waiting.min, first.work.due <= now {
            taken.append(waiting.removeMin().work)
            inFlight += 1
        }
        return taken
    }

    /// An attempt came back: an entry still to deliver waits for its next attempt.
    mutating func finished(_ work: Ledger.Work, record: Ledger.AttemptRecord) {
        inFlight -= 1
        switch record.state {
        case .retrying, .pending:
            var again = work
            if record.counted { again.attempts += 1 }
            again.due = record.nextAttempt ?? Date()
            waiting.insert(Due(work: again))
        case .delivered, .rejected, .quarantined:
            break
        }
    }
}
