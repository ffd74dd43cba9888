import Foundation
import SpoolFormat
import SpoolProtocol
import TestSupport
import Testing

/// Real crashes of a real export: killed with SIGKILL at random moments, it leaves on the media
/// either complete batches or folders verification names as incomplete, and never changes the spool.
@Suite("Export crash safety", .serialized)
struct ExportCrashTests {
    @Test(
        "SIGKILL of spooler export at 50 random moments never leaves a batch that verifies clean but is incomplete, nor changes the spool",
        .timeLimit(.minutes(5)))
    func killDuringExport() throws {
        let site = try ExportSite(entries: 12)
        let before = try site.spoolDigests()
        // --all, so every round writes a whole batch whatever the previous rounds recorded.
        let script = "while :; do '\(Command.product("spooler"))' export --all --state '\(site.spooler.state)' --to media >/dev/null 2>&1; done"
        var complete = 0
        var incomplete = 0
        for round in 0..<50 {
            let child = try ProcessGroup(shell: script, in: site.spooler.work.path)
            // Wide enough that on a loaded machine some kills land after the rename, some before.
            usleep(UInt32.random(in: 10_000...400_000))
            child.kill()

            #expect(try site.spoolDigests() == before, "round \(round): the spool changed")
            for name in try FileManager.default.contentsOfDirectory(atPath: site.media) {
                let folder = site.media + "/" + name
                let verify = try site.verifyBatch(folder)
                if name.hasPrefix(".tmp-") {
                    #expect(verify.status == 1 && verify.stdout.contains("[batch_incomplete]"), "round \(round): \(name): \(verify.stdout)")
                    incomplete += 1
                } else {
                    // A batch under its final name is whole: our check and the stock one agree.
                    #expect(verify.status == 0, "round \(round): \(name): \(verify.stdout)")
                    #expect(try site.manifest(folder).last == 12)
                    #expect(try Command.run("sha256sum", ["-c", "--quiet", "MANIFEST"], in: folder).status == 0, "round \(round): \(name)")
                    complete += 1
                }
            }
            // Clear the media so that each round's leftovers are its own.
            for name in try FileManager.default.contentsOfDirectory(atPath: site.media) {
                try FileManager.default.removeItem(atPath: site.media + "/" + name)
            }
        }
        #expect(try site.spooler.run("verify", "--state", site.spooler.state).status == 0)
        let after = try site.export("--all")
        #expect(after.result.status == 0)
        print("export crash test: 50 kills left \(complete) complete batches and \(incomplete) incomplete folders, each named as such")
    }
}
