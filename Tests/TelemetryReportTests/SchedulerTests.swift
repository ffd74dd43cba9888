import Foundation
import Testing

@testable import TelemetryReport

/// A clock that never waits: each sleep jumps to the requested time; it stops after `sleeps` sleeps.
final class ManualClock: SchedulerClock, @unchecked Sendable {
    var current: Date
    var requested: [Date] = []
    let sleeps: Int

    init(_ start: Date, sleeps: Int) {
        current = start
        self.sleeps = sleeps
    }

    func now() -> Date { current }

    func sleep(until date: Date) -> Bool {
        guard requested.count < sleeps else { return false }
        requested.append(date)
        current = max(current, date)
        return true
    }
}

@Suite("Scheduler")
struct SchedulerTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)
    let day: TimeInterval = 86_400

    @Test("catch-up: the first report is due at once when there never was one, or the last is an interval old")
    func catchUp() {
        for last in [nil, start.addingTimeInterval(-day), start.addingTimeInterval(-10 * day)] as [Date?] {
            let clock = ManualClock(start, sleeps: 1)
            var spooledAt: [Date] = []
            let count = ReportScheduler(interval: day, jitter: 3_600, clock: clock, random: { 0.5 })
                .run(lastReport: last, spool: { spooledAt.append(clock.now()) })
            #expect(count == 1)
            #expect(spooledAt == [start])
        }
    }

    @Test("no catch-up when the last report is recent: the first waits one interval plus jitter after it")
    func noCatchUp() {
        let clock = ManualClock(start, sleeps: 3)
        var spooledAt: [Date] = []
        let last = start.addingTimeInterval(-3_600)
        ReportScheduler(interval: day, jitter: 3_600, clock: clock, random: { 0.25 })
            .run(lastReport: last, spool: { spooledAt.append(clock.now()) })
        #expect(clock.requested.first == last.addingTimeInterval(day + 900))
        #expect(spooledAt.count == 3)
        #expect(zip(spooledAt, spooledAt.dropFirst()).allSatisfy { $1.timeIntervalSince($0) == day + 900 })
    }

    @Test("jitter stays within 0 ..< jitter", arguments: [0.0, 0.5, 0.999])
    func jitter(random: Double) {
        let scheduler = ReportScheduler(interval: day, jitter: 3_600, clock: ManualClock(start, sleeps: 0), random: { random })
        let next = scheduler.nextDue(after: start).timeIntervalSince(start)
        #expect(next >= day && next < day + 3_600)
    }

    @Test("a failing report is retried at the next due time; the scheduler keeps running")
    func failureRetried() {
        struct Broken: Error {}
        let clock = ManualClock(start, sleeps: 3)
        var attempts = 0
        var failures = 0
        let count = ReportScheduler(interval: 60, jitter: 0, clock: clock)
            .run(
                lastReport: nil,
                spool: {
                    attempts += 1
                    if attempts == 1 { throw Broken() }
                }, failed: { _, _ in failures += 1 })
        #expect(attempts == 3 && failures == 1 && count == 2)
    }

    @Test("a stopped system clock ends a sleep at once", .timeLimit(.minutes(1)))
    func stop() {
        let clock = SystemClock()
        DispatchQueue.global().asyncAfter(deadline: .now() + 0.1) { clock.stop() }
        let started = Date()
        #expect(clock.sleep(until: Date().addingTimeInterval(3_600)) == false)
        #expect(Date().timeIntervalSince(started) < 10)
        #expect(clock.sleep(until: Date().addingTimeInterval(3_600)) == false)
    }
}
