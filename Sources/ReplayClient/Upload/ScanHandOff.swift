import Foundation
import SpoolFormat
import SpoolStore

/// Verification on a thread of its own, handing registered entries over to the sender batch by
/// batch, so that sending starts while the rest of the spool is still being verified.
///
/// Each batch is registered in the ledger before it is handed over (a crash never leaves an entry
/// sent but unknown to the ledger); quarantined entries are registered when verification ends.
/// The thread is a plain `Thread` with a large stack: verification is synchronous, CPU-bound work
/// that must not occupy a cooperative thread.
final class ScanHandOff: @unchecked Sendable {
    /// How verification ended: the scan, how many entries it quarantined, and when it was verified.
    typealias Outcome = (scan: SpoolScan, quarantined: Int, verified: Date)

    enum Event: Sendable {
        case handedOver(Ledger.Registration)
        case ended(Result<Outcome, any Error>)
    }

    /// Accepted entries handed over at a time.
    static let batchSize = 256

    private let lock = NSLock()
    private var hasEnded = false
    private var waiters: [CheckedContinuation<Void, Never>] = []

    /// Starts verifying `directory`; every event goes to `deliver`, from the verification thread,
    /// and the last one is `.ended`.
    init(
        directory: String, trust: TrustSource, ledger: Ledger, options: UploadOptions, budget: SendBudget, start: Date,
        deliver: @escaping @Sendable (Event) -> Void
    ) {
        let pinKeys: Bool
        if case .firstUse = trust { pinKeys = true } else { pinKeys = false }
        let thread = Thread { [self] in
            var batch: [SpoolScan.Accepted] = []
            var pins: [String: SSHPublicKey] = [:]
            func handOver() throws {
                guard !batch.isEmpty else { return }
                deliver(.handedOver(try ledger.register(accepted: batch, pins: pins, now: start, retryRejected: options.retryRejected)))
                batch.removeAll(keepingCapacity: true)
                pins.removeAll()
            }
            let result = Result<Outcome, any Error> {
                let scan = try SpoolScan.run(
                    directory: directory, trust: trust, holdings: try ledger.holdings(),
                    keep: { entry in try budget.take(entry, beforeWaiting: handOver) }, listAccepted: false
                ) { accepted in
                    batch.append(accepted)
                    if pinKeys { pins[accepted.name.installation] = accepted.key }
                    if batch.count >= Self.batchSize { try handOver() }
                }
                try handOver()
                let verified = Date()
                let quarantined = try ledger.register(quarantined: scan.quarantined, declaredLosses: scan.report.declaredLosses, now: start)
                return (scan, quarantined, verified)
            }
            deliver(.ended(result))
            markEnded()
        }
        thread.stackSize = 8 << 20
        thread.start()
    }

    private func markEnded() {
        lock.lock()
        hasEnded = true
        let waiting = waiters
        waiters.removeAll()
        lock.unlock()
        for waiter in waiting { waiter.resume() }
    }

    /// Returns once the verification thread is done with the ledger (even if the caller was
    /// cancelled), so that the ledger can be closed.
    func ended() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            lock.lock()
            if hasEnded {
                lock.unlock()
                continuation.resume()
            } else {
                waiters.append(continuation)
                lock.unlock()
            }
        }
    }
}
