import Foundation
import SpoolStore

/// What an upload run came to.
public struct UploadSummary: Codable, Sendable, Equatable {
    /// Entries in the spool.
    public var entries = 0
    /// Delivered in this run: stored now (201) or found already stored (200).
    public var delivered = 0
    public var duplicates = 0
    /// Delivered by an earlier run: not sent again.
    public var alreadyDelivered = 0
    /// Rejected (dead letter), in this run or before.
    public var rejected = 0
    /// Failed verification: never sent.
    public var quarantined = 0
    /// Still to deliver: the next attempt is further away than --max-wait.
    public var waiting = 0
    /// Entry requests sent in this run, alone or in pipelines.
    public var requests = 0
    /// Pipelines sent in this run: HTTP requests carrying several entry requests (`--entries-per-request`).
    public var pipelines = 0
    public var seconds = 0.0
    /// Until the spool was verified and recorded in the ledger (sending overlaps it).
    public var scanSeconds = 0.0
    /// Until the spool was verified.
    public var verifySeconds = 0.0
    public var nextAttempt: String?
    /// Why the run stopped sending early: every recent request failed, an endpoint problem.
    public var endpointPaused: String?

    /// Entries delivered in this run, per second.
    public var rate: Double { seconds > 0 ? Double(delivered) / seconds : 0 }
    public var isComplete: Bool { waiting == 0 && rejected == 0 && quarantined == 0 }
}

extension UploadSummary {
    /// Counts what the ledger already knew about a batch handed over by verification.
    mutating func count(_ registration: Ledger.Registration) {
        alreadyDelivered += registration.alreadyDelivered
        rejected += registration.alreadyRejected
        quarantined += registration.quarantined
    }

    /// Counts the end of verification: the spool's entries and those it quarantined.
    mutating func count(_ outcome: ScanHandOff.Outcome) {
        quarantined += outcome.quarantined
        entries = outcome.scan.report.entries
    }

    /// Counts one attempt's outcome (an entry to retry is counted when it is done).
    mutating func count(_ record: Ledger.AttemptRecord) {
        if record.sent { requests += 1 }
        switch record.state {
        case .delivered:
            delivered += 1
            if record.status == 200 { duplicates += 1 }
        case .rejected:
            rejected += 1
        case .quarantined:
            quarantined += 1
        case .retrying, .pending:
            break
        }
    }
}
