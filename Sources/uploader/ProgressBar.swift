import Foundation
import ReplayClient

/// A one-line progress bar on standard error, redrawn at most ten times a second.
final class ProgressBar: UploadProgress {
    private var total = 0
    private var done = 0
    private var delivered = 0
    private var retries = 0
    private var failed = 0
    private var start = Date()
    private var lastDraw = Date.distantPast

    func discovered(_ count: Int) {
        total += count
        draw(force: false)
    }

    func finished(_ record: Ledger.AttemptRecord) {
        switch record.state {
        case .delivered:
            delivered += 1
            done += 1
        case .rejected, .quarantined:
            failed += 1
            done += 1
        case .retrying, .pending: retries += 1
        }
        draw(force: false)
    }

    private func draw(force: Bool) {
        let now = Date()
        guard force || now.timeIntervalSince(lastDraw) >= 0.1 else { return }
        lastDraw = now
        let width = 30
        let filled = total > 0 ? width * done / total : width
        let rate = Double(done) / max(now.timeIntervalSince(start), 0.001)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        let line = "\r[\(bar)] \(done)/\(total) delivered \(delivered) failed \(failed) retries \(retries) \(Int(rate))/s "
        FileHandle.standardError.write(Data(line.utf8))
    }

    func close() {
        draw(force: true)
        FileHandle.standardError.write(Data("\n".utf8))
    }
}
