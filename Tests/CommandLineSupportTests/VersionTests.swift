import CommandLineSupport
import Foundation
import TestSupport
import Testing

/// `--version` is what an administrator compares against the release notes and a script checks
/// after an install: the three commands of one build answer with the same single line.
@Suite("--version", .timeLimit(.minutes(1)))
struct VersionTests {
    @Test("spooler, uploader and receiver print the same one-line version and exit 0")
    func sameLineEverywhere() throws {
        var lines: [String] = []
        for product in ["spooler", "uploader", "receiver"] {
            let result = try Command.run(Command.product(product), ["--version"], in: NSTemporaryDirectory())
            #expect(result.status == 0, "\(product): \(result.stderr)")
            #expect(result.stderr.isEmpty, "\(product): \(result.stderr)")
            #expect(result.lines.count == 1 && result.stdout.hasSuffix("\n"), "\(product): \(result.stdout)")
            lines.append(result.stdout)
        }
        #expect(Set(lines).count == 1, "\(lines)")
        #expect(lines.first == ToolVersion.line + "\n")
        #expect(ToolVersion.line.hasPrefix(ToolVersion.number))
    }

    @Test("the release number is three dot-separated numbers, as the release tarball's name uses it")
    func releaseNumber() {
        #expect(ToolVersion.number.wholeMatch(of: #/[0-9]+\.[0-9]+\.[0-9]+/#) != nil)
    }
}
