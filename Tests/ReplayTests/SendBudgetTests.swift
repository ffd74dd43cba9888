import Crypto
import Foundation
import SpoolFormat
import Testing

@testable import ReplayClient

/// Verification keeps at most `--memory` of verified entries waiting to be sent, waiting for the
/// sender rather than dropping them (which would mean reading and verifying them twice).
@Suite("Send budget")
struct SendBudgetTests {
    let key = Curve25519.Signing.PrivateKey()

    func entry(_ sequence: UInt64) throws -> SpoolEntry {
        let body = Array(#"{"users":\#(sequence)}"#.utf8)
        let metadata = EntryMetadata(
            kind: .report, installation: "0b6e7c5e-3f0e-4c1a-9a59-4f8f3d8f1a01", sequence: sequence, created: Date(),
            productVersion: "1.0", schema: 1, previous: sequence == 1 ? .genesis : EntryDigest.of(message: [UInt8(sequence)]),
            key: SSHPublicKey(key.publicKey).fingerprint, request: ReplayRequest(), body: body)
        return try SpoolEntry.make(metadata: metadata, body: body, signingKey: key)
    }

    @Test(.timeLimit(.minutes(1)))
    func waitsForTheSenderThenKeepsTheEntry() async throws {
        let entries = try (1...3).map(entry)
        let budget = SendBudget(limit: SendBudget.cost(of: entries[0]) * 2, patience: 30)
        #expect(budget.take(entries[0], beforeWaiting: {}))
        #expect(budget.take(entries[1], beforeWaiting: {}))
        let handedOver = Flag()
        let kept = Flag()
        // A thread of its own, as the uploader's verification has: the wait blocks it.
        let thread = Thread {
            if budget.take(entries[2], beforeWaiting: { handedOver.set() }) { kept.set() }
        }
        thread.start()
        while !handedOver.isSet { try await Task.sleep(for: .milliseconds(10)) }
        #expect(!kept.isSet)
        budget.give(back: entries[0])
        while !kept.isSet { try await Task.sleep(for: .milliseconds(10)) }
    }

    @Test(.timeLimit(.minutes(1)))
    func goesOnWithoutKeepingWhenTheSenderFreesNothing() throws {
        let entries = try (1...3).map(entry)
        let budget = SendBudget(limit: SendBudget.cost(of: entries[0]), patience: 0.1)
        #expect(budget.take(entries[0], beforeWaiting: {}))
        #expect(!budget.take(entries[1], beforeWaiting: {}))
        // Stalled: no second wait until something is freed.
        var waited = false
        #expect(!budget.take(entries[2], beforeWaiting: { waited = true }))
        #expect(!waited)
        budget.give(back: entries[0])
        #expect(budget.take(entries[2], beforeWaiting: {}))
    }

    @Test func keepsNothingWithoutABudget() throws {
        #expect(!SendBudget(limit: 0).take(try entry(1), beforeWaiting: {}))
    }
}

private final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }
}
