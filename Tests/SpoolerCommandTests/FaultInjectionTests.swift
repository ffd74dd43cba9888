import Foundation
import TestSupport
import Testing

/// Failing system calls, injected with libfiu's `fiu-run` into the real binary.
@Suite("Injected I/O faults", .serialized)
struct FaultInjectionTests {
    /// An fsync error is fatal for that entry: nothing is published, nothing is retried blindly.
    @Test("a failing fsync fails collect naming the file, publishes nothing, and the next collect continues the chain", .timeLimit(.minutes(1)))
    func fsyncFails() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        let before = try FileManager.default.contentsOfDirectory(atPath: spooler.work.file("Spool")).sorted()
        let failed = try Command.run(
            "fiu-run", ["-x", "-c", "enable name=posix/io/sync/fsync", Command.product("spooler"), "collect", "--state", spooler.state],
            in: spooler.work.path)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("fsync failed"))
        #expect(failed.stderr.contains("Spool/.tmp-"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: spooler.work.file("Spool")).sorted() == before)
        #expect(try spooler.run("verify", "--state", spooler.state).status == 0)
        #expect(try spooler.collect().hasSuffix("-0000000002.json.gz"))
    }

    @Test("random write failures never leave a damaged or uncounted entry", .timeLimit(.minutes(2)))
    func randomWriteFailures() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        var failures = 0
        for _ in 0..<25 {
            // Failing writes to stdout or stderr may crash the process: the spool must survive that
            // too. The runtime's backtracer is off so that such a crash ends at once.
            // timeout(1): libfiu's preloaded malloc can deadlock against glibc's loader (at
            // pthread_exit, which dlopens libgcc_s); such a run is killed, as a crash would end it.
            let result = try Command.run(
                "timeout",
                [
                    "-s", "KILL", "60", "fiu-run", "-x", "-c", "enable_random name=posix/io/rw/write,probability=0.3", Command.product("spooler"), "collect",
                    "--state", spooler.state,
                ],
                in: spooler.work.path, environment: ["SWIFT_BACKTRACE": "enable=no"])
            if result.status != 0 { failures += 1 }
            let verify = try spooler.run("verify", "--state", spooler.state, "--json")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(verify.stdout.utf8)) as? [String: Any])
            // A failed collect takes back what it published; only a crash (from a failed write to
            // stdout or stderr) may leave a leftover, which the next collect removes.
            let codes = (object["problems"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
            #expect(codes.allSatisfy { $0.hasPrefix("leftover_") }, "\(verify.stdout)")
        }
        #expect(failures > 0, "the fault was never injected")
        let entries = try FileManager.default.contentsOfDirectory(atPath: spooler.work.file("Spool")).filter { $0.hasSuffix(".json.gz") }.count
        #expect(try spooler.collect().hasSuffix(String(format: "-%010d.json.gz", entries + 1)))
        #expect(try spooler.run("verify", "--state", spooler.state).status == 0)
    }
}
