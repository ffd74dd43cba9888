import Foundation
import TestSupport
import Testing

/// The durability protocol, checked on the system calls a real `collect` makes (recorded with
/// `strace -f`): each file's data is fsynced before it is linked or renamed into place, its
/// directory is fsynced after, the `.sig` (the commit marker) comes after the `.json.gz` is
/// durable, and the chain state is saved only after the `.sig`.
@Suite("durability protocol under strace", .serialized)
struct DurabilityTraceTests {
    /// One system call from the trace: its name and its whole line (with fd paths from `-y`).
    struct Call {
        var name: String
        var line: String
    }

    func trace(_ spooler: Spooler, _ arguments: [String]) throws -> [Call] {
        let output = spooler.work.file("trace-\(UUID().uuidString).txt")
        let result = try Command.run(
            "strace",
            [
                "-f", "-y", "-qq", "-o", output,
                "-e", "trace=openat,linkat,renameat,renameat2,rename,link,unlinkat,unlink,fsync,fdatasync",
                Command.product("spooler"),
            ] + arguments, in: spooler.work.path)
        #expect(result.status == 0, "\(result.stderr)")
        return try String(contentsOfFile: output, encoding: .utf8).split(separator: "\n").compactMap { line in
            // "PID name(args) = result" (the PID padded with spaces), or "PID name(args <unfinished ...>"
            // in a multithreaded trace.
            guard let paren = line.firstIndex(of: "("), let name = line[..<paren].split(separator: " ").last else { return nil }
            return Call(name: String(name), line: String(line))
        }
    }

    /// Checks one durable publish of `name` in `directory`: temporary fsynced, then linked or
    /// renamed to `name`, then the directory fsynced; returns the index of the link or rename.
    func checkPublish(_ calls: [Call], name: String, directory: String, after start: Int = 0) throws -> Int {
        let placed = try #require(
            calls.indices.first { index in
                index >= start && ["linkat", "renameat", "renameat2"].contains(calls[index].name) && calls[index].line.contains(", \"\(name)\"")
            }, "no link or rename to \(name) in:\n\(calls.filter { $0.name != "openat" }.map(\.line).joined(separator: "\n"))")
        let temporary = try #require(calls[placed].line.split(separator: "\"").dropFirst().first.map(String.init), "no temporary in \(calls[placed].line)")
        #expect(temporary.hasPrefix(".tmp-"))
        let synced = calls[start..<placed].contains { $0.name == "fsync" && $0.line.contains("\(directory)/\(temporary)>") }
        #expect(synced, "\(temporary) is not fsynced before it becomes \(name)")
        let directorySynced = calls[(placed + 1)...].prefix(4).contains { $0.name == "fsync" && $0.line.contains("<\(directory)>)") }
        #expect(directorySynced, "\(directory) is not fsynced after \(name) is placed")
        return placed
    }

    @Test("collect: data fsync before link, directory fsync after, .sig last, chain state after the .sig", .timeLimit(.minutes(1)))
    func collect() throws {
        let spooler = try Spooler()
        _ = try spooler.collect()
        let calls = try trace(spooler, ["collect", "--state", spooler.state])
        let installation = try String(contentsOfFile: spooler.state + "/installation-id", encoding: .utf8).trimmingCharacters(in: .newlines)
        let entry = "\(installation)-0000000002.json.gz"
        let spoolPath = try #require(
            calls.first { $0.line.contains(".tmp-\(entry)-") }.flatMap { call in
                call.line.range(of: "/.tmp-\(entry)").map { range in
                    String(call.line[..<range.lowerBound].split(separator: "<").last!)
                }
            })
        let statePath = spoolPath.replacingOccurrences(of: "/Spool", with: "/state")
        let data = try checkPublish(calls, name: entry, directory: spoolPath)
        let signature = try checkPublish(calls, name: entry + ".sig", directory: spoolPath, after: data + 1)
        #expect(signature > data)
        let chain = try checkPublish(calls, name: "chain-state.json", directory: statePath, after: signature + 1)
        #expect(chain > signature)
        // Nothing of the entry is written or replaced after its .sig commits it.
        #expect(!calls[(signature + 1)...].contains { $0.line.contains("\"\(entry)\"") })
    }
}
