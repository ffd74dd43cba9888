import Foundation
import TestSupport
import Testing

/// Real crashes: a child process spools in a loop and is killed with SIGKILL at random moments.
@Suite("Crash safety", .serialized)
struct CrashTests {
    @Test("SIGKILL at random moments leaves a spool that verifies apart from reported leftovers, and collect continues the chain", .timeLimit(.minutes(4)))
    func killDuringCollect() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()  // identity and first entry, so kills land inside entry writes
        let script = "while :; do '\(Command.product("spooler"))' collect --state '\(spooler.state)' >/dev/null 2>&1; done"
        var leftoversSeen = 0
        for round in 0..<50 {
            let child = try ProcessGroup(shell: script, in: spooler.work.path)
            usleep(UInt32.random(in: 20_000...150_000))
            // Kill the loop and the spooler it is running, wherever that spooler is.
            child.kill()

            let verify = try spooler.run("verify", "--state", spooler.state, "--json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any], "round \(round): \(verify.stderr)")
            let problems = object["problems"] as? [[String: Any]] ?? []
            let codes = problems.compactMap { $0["code"] as? String }
            #expect(codes.allSatisfy { $0.hasPrefix("leftover_") }, "round \(round): \(problems)")
            if !codes.isEmpty { leftoversSeen += 1 }
            #expect(verify.status == (codes.isEmpty ? 0 : 1))
        }
        let before = try spooler.run("verify", "--state", spooler.state, "--json")
        let count = try #require((try JSONSerialization.jsonObject(with: Data(before.stdout.utf8)) as? [String: Any])?["entries"] as? Int)
        let next = try spooler.collect()
        #expect(next.hasSuffix(String(format: "-%010d.json.gz", count + 1)))
        let after = try spooler.run("verify", "--state", spooler.state)
        #expect(after.status == 0, "\(after.stdout)")
        print("crash test: \(count) entries survived 50 kills; \(leftoversSeen) kills left leftovers that the next collect cleaned up")
    }
}
