import Foundation
import SpoolFormat

/// The bytes of verified entries waiting in memory to be sent (`--memory`).
///
/// Verification runs ahead of sending; when the entries it has verified but the sender has not
/// sent yet fill the budget, it waits for the sender to free room, so memory stays flat however
/// large the spool and each entry is still sent exactly as verified, without being read twice.
/// When the sender frees nothing for a while (the endpoint paused, every entry waiting for a
/// retry), verification goes on without keeping entries: those are read and verified again just
/// before they are sent.
final class SendBudget: @unchecked Sendable {
    let limit: Int
    /// How long verification waits for the sender to free room before it goes on without keeping.
    let patience: TimeInterval
    private var used = 0
    /// Nothing was freed within `patience`: no more waiting until something is.
    private var stalled = false
    private let condition = NSCondition()

    init(limit: Int, patience: TimeInterval = 2) {
        self.limit = limit
        self.patience = patience
    }

    /// What keeping `entry` counts for: its bytes and the parsed metadata, signature and key
    /// around them (about 1 KiB more, measured with heaptrack).
    static func cost(of entry: SpoolEntry) -> Int { entry.body.count + entry.metadataLine.count + 1024 }

    /// Takes room for `entry`; true when it may be kept. `beforeWaiting` runs (outside the lock)
    /// before a wait, to hand what is kept so far to the sender, which can only free what it has.
    func take(_ entry: SpoolEntry, beforeWaiting: () throws -> Void) rethrows -> Bool {
        let bytes = Self.cost(of: entry)
        guard bytes <= limit else { return false }
        condition.lock()
        if used + bytes <= limit {
            used += bytes
            condition.unlock()
            return true
        }
        let giveUp = stalled
        condition.unlock()
        if giveUp { return false }
        try beforeWaiting()
        condition.lock()
        defer { condition.unlock() }
        while used + bytes > limit {
            if !condition.wait(until: Date().addingTimeInterval(patience)) {
                stalled = true
                return false
            }
        }
        used += bytes
        return true
    }

    /// Frees the room a kept entry took, once the sender is done with it.
    func give(back entry: SpoolEntry) {
        condition.lock()
        used -= Self.cost(of: entry)
        stalled = false
        condition.broadcast()
        condition.unlock()
    }
}
