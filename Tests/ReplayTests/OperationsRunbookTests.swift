import Foundation
import ReceiverServer
import SpoolFormat
import SpoolStore
import TestSupport
import Testing

/// docs/OPERATIONS.md is run as written: every block marked `<!-- runbook: site -->` or
/// `<!-- runbook: connected -->` runs in order with bash, on a spooling side and a connected side
/// with separate state, against a real receiver, and the loop must close: each report stored once
/// at the receiver, the delivered entries gone from the spool, and `spooler verify` clean.
@Suite("The air-gap runbook, end to end", .serialized)
struct OperationsRunbookTests {
    struct Step {
        var side: String
        var script: String
    }

    /// The runbook's marked blocks, in document order.
    static func steps() throws -> [Step] {
        let text = try String(contentsOfFile: repositoryRoot + "/docs/OPERATIONS.md", encoding: .utf8)
        var steps: [Step] = []
        var side: String?
        var block: [String]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) {
            if var lines = block {
                if line == "```" {
                    steps.append(Step(side: side!, script: lines.joined(separator: "\n")))
                    block = nil
                    side = nil
                } else {
                    lines.append(line)
                    block = lines
                }
            } else if line.hasPrefix("<!-- runbook: "), line.hasSuffix(" -->") {
                side = String(line.dropFirst("<!-- runbook: ".count).dropLast(" -->".count))
            } else if side != nil, line.hasPrefix("```") {
                block = []
            }
        }
        return steps
    }

    @Test(.timeLimit(.minutes(3)))
    func theRunbookClosesTheLoop() async throws {
        let steps = try Self.steps()
        #expect(Set(steps.map(\.side)) == ["site", "connected"])
        #expect(steps.contains { $0.script.contains("spooler export") } && steps.contains { $0.script.contains("spooler ack") })

        let temp = try TemporaryDirectory()
        let site = temp.file("site")
        let connected = temp.file("connected")
        let media = temp.file("media")
        for folder in [site, connected, media] {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        }
        try "product_version = 3.1.4\nrequest_path = /api/telemetry\n".write(toFile: site + "/spooler.conf", atomically: true, encoding: .utf8)
        let receiver = try await ReceiverProcess(in: temp)
        defer { Task { await receiver.stop() } }

        let products = URL(fileURLWithPath: Command.product("spooler")).deletingLastPathComponent().path
        let path = products + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let environments = [
            "site": ["PATH": path, "MEDIA": media, "SPOOLER_STATE": site + "/state", "HOME": site],
            "connected": ["PATH": path, "MEDIA": media, "ENDPOINT": receiver.url, "HOME": connected],
        ]
        for (index, step) in steps.enumerated() {
            let directory = step.side == "site" ? site : connected
            let result = try Command.run(
                "/bin/bash", ["-euo", "pipefail", "-c", step.script], in: directory,
                environment: try #require(environments[step.side]))
            try #require(result.status == 0, "runbook step \(index + 1) (\(step.side)) failed:\n\(step.script)\n\(result.stdout)\(result.stderr)")
        }

        // Three reports were spooled and delivered: the receiver holds each once.
        let stored = try await receiver.reports()
        #expect(stored.count == 3)
        #expect(Set(stored.map(\.digest)).count == 3)
        // The ack freed every delivered entry, and the spool still verifies clean.
        let left = try FileManager.default.contentsOfDirectory(atPath: site + "/Spool").filter { $0.hasSuffix(".json.gz") }
        #expect(left.isEmpty, "entries left after the ack: \(left)")
        let verify = try Command.run(Command.product("spooler"), ["verify"], in: site, environment: environments["site"]!)
        #expect(verify.status == 0, "\(verify.stdout)\(verify.stderr)")
    }
}
