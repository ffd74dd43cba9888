import SpoolFormat

/// Tells the user about failed attempts as they happen, once per cause rather than once per
/// entry, and ends a run whose first requests meet a configuration problem.
///
/// A refused connection, an unknown host or an untrusted certificate before the endpoint has
/// answered anything in this run means `--endpoint` or `--ca-file` is wrong (or the endpoint is
/// down): retrying for minutes cannot help. The run stops at once and the attempt is not held
/// against the entry: it keeps its place in the ledger, due as before.
struct FailureWatch {
    /// Where messages go (stderr in `uploader upload`).
    let report: (@Sendable (String) -> Void)?
    private var said: Set<String> = []
    private var answered = false
    /// The configuration problem that ended the run, once one did.
    private(set) var stop: FailureDiagnosis?

    init(report: (@Sendable (String) -> Void)?) { self.report = report }

    /// Looks at an attempt that came back, before it is judged: a configuration problem before
    /// any answer stops the run, and the attempt is not counted.
    mutating func observe(_ record: inout Ledger.AttemptRecord, work: Ledger.Work) {
        if record.status != nil { answered = true }
        guard record.state == .retrying, let diagnosis = record.diagnosis, !answered, diagnosis.isConfigurationProblem else { return }
        record.counted = false
        record.nextAttempt = work.due
        if stop == nil { stop = diagnosis }
    }

    /// Tells the user about a judged attempt: each rejected or quarantined entry, each cause of
    /// failure once.
    mutating func tell(_ record: Ledger.AttemptRecord, work: Ledger.Work) {
        switch record.state {
        case .rejected:
            say("\(work.name.entryFile): rejected: \(record.reason ?? "")")
        case .quarantined:
            say("\(work.name.entryFile): quarantined: \(record.reason ?? "")")
        case .retrying:
            if let diagnosis = record.diagnosis {
                if diagnosis == stop {
                    sayOnce("error: \(diagnosis)")
                    sayOnce("stopped: the entries keep their place in the ledger; run 'uploader upload --now' once this is fixed")
                } else {
                    sayOnce("error: \(diagnosis) (retried later)")
                }
            } else if let status = record.status {
                sayOnce("HTTP \(status) from the endpoint" + (record.error.map { ": \($0)" } ?? "") + " (retried later)", key: "HTTP \(status)")
            }
        case .delivered, .pending:
            break
        }
    }

    private mutating func sayOnce(_ message: String, key: String? = nil) {
        guard said.insert(key ?? message).inserted else { return }
        say(message)
    }

    private func say(_ message: String) { report?(message) }
}
