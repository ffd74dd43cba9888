import Foundation
import Logging
import SpoolFormat
import SpoolProtocol
import SpoolStore
import TelemetryReport
import TestSupport
import Testing

@Suite("Retention of exported, unacknowledged entries")
struct UnackedRetentionTests {
    @Test("a collect past max_unacked_age removes the exported entries with a max_unacked_age tombstone; entries not exported stay", .timeLimit(.minutes(1)))
    func collectPrunesUnacked() throws {
        let work = try TemporaryDirectory("unacked")
        let state = StateDirectory(path: work.file("state"))
        let spool = work.file("Spool")
        let media = work.file("media")
        try FileSystem.makeDirectory(spool, permissions: 0o755)
        try FileSystem.makeDirectory(media, permissions: 0o755)
        let identity = try state.createIdentity()
        var configuration = SpoolerConfiguration()
        try configuration.apply(text: "max_unacked_age = 7d\n", file: "spooler.conf")
        let start = Date()
        func collect(_ day: Double) throws -> SpoolingJob.Outcome {
            let writer = try SpoolWriter(spool: spool, state: state, identity: identity, logger: Logger(label: "test"))
            return try SpoolingJob(writer: writer, configuration: configuration).spoolOnce(now: start.addingTimeInterval(day * 86_400))
        }
        for day in 0..<3 { #expect(try collect(Double(day)).tombstones.isEmpty) }
        // Entries 1...3 exported; 4 is spooled later and never exported, so it stays though as old as the limit.
        _ = try SpoolExporter(spool: spool, state: state, identity: identity).export(to: media, selection: .sinceLast)
        #expect(try collect(3).tombstones.isEmpty)
        let outcome = try collect(11)
        #expect(outcome.tombstones.map(\.reason) == [.maxUnackedAge])
        #expect(outcome.tombstones.first?.dropped == SequenceRange(first: 1, last: 3))
        #expect(try SpoolListing(directory: spool).entries.map(\.sequence) == [4, 5, 6])
        let report = try SpoolVerifier(trust: identity.trust, expected: [try state.loadChain(installation: identity.installation)]).verify(directory: spool)
        #expect(report.isClean, "\(report.problems)")
        #expect(report.declaredLosses.map(\.reason) == [.maxUnackedAge])
    }
}
