import Foundation
import TestSupport
import Testing

/// `spooler verify --json` and `uploader verify --json` are one format: scripts written for one
/// read the other.
@Suite("verify --json of both commands")
struct VerifyOutputTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    /// On a clean spool the two outputs are the same bytes, except for the key each command
    /// adds: the spooler's `declaredLosses`, the uploader's `quarantine`.
    @Test(.timeLimit(.minutes(1)))
    func bothCommandsPrintTheSameJSON() throws {
        let spool = try TestSpool.make(in: temp.file("spool"), stateRoot: temp.path, count: 3)
        let spooler = try Command.run(Command.product("spooler"), ["verify", "--spool", spool.directory, "--state", temp.file("state-0"), "--json"])
        let uploader = try Command.run(Command.product("uploader"), ["verify", spool.directory, "--ledger", temp.file("ledger.sqlite"), "--json"])
        #expect(spooler.status == 0, "\(spooler.stdout)\(spooler.stderr)")
        #expect(uploader.status == 0, "\(uploader.stdout)\(uploader.stderr)")
        // An empty array prints as two lines: `"key" : [` and `],`.
        func without(_ key: String, _ lines: [String]) throws -> [String] {
            let index = try #require(lines.firstIndex(of: "  \"\(key)\" : ["), "no \(key) in \(lines)")
            #expect(lines[index + 1] == "  ],")
            return Array(lines[..<index] + lines[(index + 2)...])
        }
        #expect(try without("declaredLosses", spooler.lines) == without("quarantine", uploader.lines))
        #expect(spooler.stdout.contains(#""validEntries" : 3"#))
    }
}
