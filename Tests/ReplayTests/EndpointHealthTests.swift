import Testing

@testable import ReplayClient

/// When failures in a row make an outage: 10 distinct entries, never fewer than the requests in
/// flight (their failures may all come back before the first delivery), nor more than the spool.
@Suite("Endpoint health")
struct EndpointHealthTests {
    static func failures(_ count: Int, concurrency: Int, entriesToSend: Int = 1_000) -> EndpointHealth {
        var health = EndpointHealth(concurrency: concurrency)
        health.answered()
        for id in 0..<count { _ = health.failed(entry: Int64(id), last: "HTTP 500", entriesToSend: entriesToSend) }
        return health
    }

    @Test("10 entries in a row with few in flight; as many as are in flight with more")
    func thresholdFollowsConcurrency() {
        #expect(Self.failures(9, concurrency: 1).paused == nil)
        #expect(Self.failures(10, concurrency: 1).paused?.hasPrefix("10 entries in a row failed") == true)
        #expect(Self.failures(10, concurrency: 16).paused == nil)
        #expect(Self.failures(63, concurrency: 64).paused == nil)
        #expect(Self.failures(64, concurrency: 64).paused?.hasPrefix("64 entries in a row failed") == true)
        // A spool smaller than the window: every entry failing is enough.
        #expect(Self.failures(12, concurrency: 64, entriesToSend: 12).paused?.hasPrefix("12 entries in a row failed") == true)
    }

    @Test("a delivery in between starts the count again")
    func aSuccessResets() {
        var health = Self.failures(9, concurrency: 1)
        health.answered()
        _ = health.failed(entry: 100, last: "HTTP 500", entriesToSend: 1_000)
        #expect(health.paused == nil)
    }
}
