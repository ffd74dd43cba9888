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

    /// Looks at an attempt that came back, before it is judged; may mark it not counted.
    mutating func observe(_ record: inout Ledger.AttemptRecord, work: Ledger.Work) {
        if record.status != nil { answered = true }
        switch record.state {
        case .rejected:
            say("\(work.name.entryFile): rejected: \(record.reason ?? "")")
        case .quarantined:
            say("\(work.name.entryFile): quarantined: \(record.reason ?? "")")
        case .retrying:
            if let diagnosis = record.diagnosis {
                if !answered, diagnosis.isConfigurationProblem {
                    record.counted = false
                    record.nextAttempt = work.due
                    if stop == nil {
                        stop = diagnosis
                        sayOnce("error: \(diagnosis)")
                        sayOnce("stopped: the entries keep their place in the ledger; run 'uploader upload --now' once this is fixed")
                    }
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
