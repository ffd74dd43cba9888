/// Stores entries from concurrent requests in shared transactions (group commit).
///
/// Each request waits for the transaction holding its entry. While one transaction commits, the
/// entries of the requests that arrive meanwhile gather for the next one, so the cost of a synced
/// commit is shared and no request is answered before its entry is durable.
actor GroupCommit {
    private let store: any ReportStore
    private let pinKeys: Bool
    private var pending: [(entry: ReceivedEntry, reply: CheckedContinuation<StoreOutcome, any Error>)] = []
    private var flushing = false
    private let maxBatch = 256

    /// Entries waiting for the next transaction (the store's load, shown by `GET /metrics`).
    var waiting: Int { pending.count }

    init(store: any ReportStore, pinKeys: Bool) {
        self.store = store
        self.pinKeys = pinKeys
    }

    func submit(_ entry: ReceivedEntry) async throws -> StoreOutcome {
        try await withCheckedThrowingContinuation { reply in
            pending.append((entry, reply))
            if !flushing {
                flushing = true
                Task { await self.flush() }
            }
        }
    }

    private func flush() async {
        while !pending.isEmpty {
            let batch = Array(pending.prefix(maxBatch))
            pending.removeFirst(batch.count)
            do {
                let outcomes = try await store.store(batch.map(\.entry), pinKeys: pinKeys)
                for (item, outcome) in zip(batch, outcomes) { item.reply.resume(returning: outcome) }
            } catch {
                for item in batch { item.reply.resume(throwing: error) }
            }
        }
        flushing = false
    }
}
