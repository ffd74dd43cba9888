/// Stores entries from concurrent requests in shared transactions (group commit).
///
/// Each request waits for the transaction holding its entry. While one transaction commits, the
/// entries of the requests that arrive meanwhile gather for the next one, so the cost of a synced
/// commit is shared and no request is answered before its entry is durable.
actor GroupCommit {
    private let store: any ReportStore
    private let pinKeys: Bool
    /// Each submission's entries, which share one transaction and one reply.
    private var pending: [(entries: [ReceivedEntry], reply: CheckedContinuation<[StoreOutcome], any Error>)] = []
    private var pendingEntries = 0
    private var flushing = false
    private let maxBatch = 256

    /// Entries waiting for the next transaction (the store's load, shown by `GET /metrics`).
    var waiting: Int { pendingEntries }

    init(store: any ReportStore, pinKeys: Bool) {
        self.store = store
        self.pinKeys = pinKeys
    }

    /// Stores `entries` (one request's, or a pipeline's) in one transaction, shared with other
    /// requests' entries; returns their outcomes in order once the transaction has committed.
    func submit(_ entries: [ReceivedEntry]) async throws -> [StoreOutcome] {
        guard !entries.isEmpty else { return [] }
        return try await withCheckedThrowingContinuation { reply in
            pending.append((entries, reply))
            pendingEntries += entries.count
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            // Whole submissions, up to `maxBatch` entries (a larger pipeline goes alone).
            var taken = 0
            var count = 0
            while taken < pending.count, taken == 0 || count + pending[taken].entries.count <= maxBatch {
                count += pending[taken].entries.count
                taken += 1
            }
            let batch = Array(pending.prefix(taken))
            pending.removeFirst(taken)
            pendingEntries -= count
            do {
                var outcomes = try await store.store(batch.flatMap(\.entries), pinKeys: pinKeys)[...]
                for item in batch {
                    item.reply.resume(returning: Array(outcomes.prefix(item.entries.count)))
                    outcomes = outcomes.dropFirst(item.entries.count)
                }
            } catch {
                for item in batch { item.reply.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
