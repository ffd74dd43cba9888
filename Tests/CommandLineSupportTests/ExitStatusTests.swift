import Foundation
import TestSupport
import Testing

/// The exit statuses the three executables share: 2 with a usage line for a wrong command line,
/// 1 with one message naming the path for a failure while running.
@Suite("Exit statuses", .timeLimit(.minutes(1)))
struct ExitStatusTests {
    let work: TemporaryDirectory

    init() throws { work = try TemporaryDirectory("exit") }

    func run(_ product: String, _ arguments: String...) throws -> Command.Result {
        try Command.run(Command.product(product), arguments, in: work.path)
    }

    /// A failure while running: exit 1, one line naming `path`, no usage line.
    func expectRuntimeFailure(_ result: Command.Result, naming path: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(result.status == 1, "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.contains(path), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(!result.stderr.contains("Usage:"), "\(result.stderr)", sourceLocation: sourceLocation)
        #expect(result.stderr.split(separator: "\n").count == 1, "\(result.stderr)", sourceLocation: sourceLocation)
    }

    @Test("a missing spool directory is a failure while running, in the spooler and the uploader")
    func missingSpool() throws {
        expectRuntimeFailure(try run("spooler", "verify", "--spool", "no-such-spool", "--state", "t"), naming: "no-such-spool")
        expectRuntimeFailure(try run("uploader", "verify", "no-such-spool", "--ledger", "l"), naming: "no-such-spool")
        expectRuntimeFailure(try run("uploader", "upload", "no-such-spool", "--endpoint", "http://127.0.0.1:9", "--ledger", "l"), naming: "no-such-spool")
        #expect(!FileManager.default.fileExists(atPath: work.file("l")))
    }

    @Test("an unreadable allowed_signers file is a failure while running, in all three executables")
    func unreadableAllowedSigners() throws {
        try FileManager.default.createDirectory(atPath: work.file("s"), withIntermediateDirectories: true)
        expectRuntimeFailure(try run("spooler", "verify", "--spool", "s", "--allowed-signers", "missing-signers"), naming: "missing-signers")
        expectRuntimeFailure(try run("uploader", "verify", "s", "--allowed-signers", "missing-signers", "--ledger", "l"), naming: "missing-signers")
        expectRuntimeFailure(try run("receiver", "serve", "--port", "0", "--db", "d", "--allowed-signers", "missing-signers"), naming: "missing-signers")
    }

    @Test("a bad entry path is a failure while running")
    func badEntryPath() throws {
        expectRuntimeFailure(try run("spooler", "inspect", "--state", "t", "no-such-entry.json.gz"), naming: "no-such-entry.json.gz")
    }

    @Test("a bad flag or flag value is a usage error: exit 2 and the usage line, in all three executables")
    func usageErrors() throws {
        for result in [
            try run("spooler", "verify", "--bogus-flag"),
            try run("uploader", "upload", "s", "--endpoint", "ftp://example"),
            try run("receiver", "serve", "--bogus-flag"),
            try run("receiver", "serve", "--fail-rate", "2"),
        ] {
            #expect(result.status == 2, "\(result.stderr)")
            #expect(result.stderr.contains("Usage:"), "\(result.stderr)")
        }
    }

    @Test("each command's --help lists the exit statuses")
    func helpListsExitStatuses() throws {
        for product in ["spooler", "uploader", "receiver"] {
            let help = try run(product, "--help")
            #expect(help.status == 0)
            let text = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")
            #expect(text.contains("Exit status: 0 success; 1 problems found, or a failure while running"), "\(product): \(help.stdout)")
            #expect(text.contains("2 usage error"), "\(product)")
        }
    }
}
