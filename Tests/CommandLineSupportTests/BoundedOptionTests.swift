import Foundation
import TestSupport
import Testing

/// Every numeric option of the three commands is checked for range and finiteness: a value out
/// of range, infinite or NaN is a usage error (exit 2) naming the option and the range allowed,
/// never a crash, a silent truncation or a run with a value nobody asked for.
@Suite("Numeric options", .timeLimit(.minutes(1)))
struct BoundedOptionTests {
    let work: TemporaryDirectory

    init() throws {
        work = try TemporaryDirectory("bounded")
        try FileManager.default.createDirectory(atPath: work.file("spool"), withIntermediateDirectories: true)
    }

    static let upload = ["upload", "spool", "--endpoint", "http://127.0.0.1:9", "--ledger", "ledger.sqlite"]

    @Test(arguments: [
        ("receiver", ["serve", "--port", "70000"], "--port 70000 is out of range: allowed 0...65535"),
        ("receiver", ["serve", "--port=-1"], "--port -1 is out of range"),
        ("receiver", ["serve", "--max-body-bytes", "0"], "--max-body-bytes 0 is out of range"),
        ("receiver", ["serve", "--header-timeout", "inf"], "--header-timeout inf is out of range"),
        ("receiver", ["serve", "--body-timeout", "nan"], "--body-timeout nan is out of range"),
        ("receiver", ["serve", "--idle-timeout", "1e30"], "--idle-timeout 1e+30 is out of range"),
        ("receiver", ["serve", "--max-connections", "0"], "--max-connections 0 is out of range"),
        ("receiver", ["serve", "--shutdown-timeout=-1"], "--shutdown-timeout -1.0 is out of range"),
        ("receiver", ["serve", "--fail-rate", "2"], "--fail-rate 2.0 is out of range: allowed 0.0...1.0"),
        ("receiver", ["serve", "--delay-ms=-5"], "--delay-ms -5 is out of range"),
        ("uploader", upload + ["--timeout", "1e30"], "--timeout 1e+30 is out of range: allowed 0.001...31536000.0 seconds"),
        ("uploader", upload + ["--connect-timeout", "inf"], "--connect-timeout inf is out of range"),
        ("uploader", upload + ["--max-wait", "1e30"], "--max-wait 1e+30 is out of range"),
        ("uploader", upload + ["--retry-base", "nan"], "--retry-base nan is out of range"),
        ("uploader", upload + ["--retry-cap", "0.5"], "--retry-cap 0.5 is out of range: allowed 1.0...31536000.0 seconds (at least --retry-base)"),
        ("uploader", upload + ["--concurrency", "0"], "--concurrency 0 is out of range: allowed 1...256"),
        ("uploader", upload + ["--memory=-1"], "--memory -1 is out of range"),
        ("uploader", upload + ["--max-attempts", "0"], "--max-attempts 0 is out of range"),
        ("uploader", upload + ["--give-up-after", "inf"], "--give-up-after inf is out of range"),
        ("uploader", ["status", "--errors=-1"], "--errors -1 is out of range"),
        ("spooler", ["run", "--interval-seconds", "inf"], "--interval-seconds inf is out of range"),
        ("spooler", ["run", "--jitter-seconds=-1"], "--jitter-seconds -1.0 is out of range"),
        ("spooler", ["run", "--max-reports", "0"], "--max-reports 0 is out of range"),
    ])
    func outOfRange(product: String, arguments: [String], message: String) throws {
        let result = try Command.run(Command.product(product), arguments, in: work.path)
        #expect(result.status == 2, "\(result.stdout)\(result.stderr)")
        #expect(result.stderr.contains(message), "\(result.stderr)")
        #expect(!result.stderr.contains("Fatal error"), "\(result.stderr)")
    }
}
