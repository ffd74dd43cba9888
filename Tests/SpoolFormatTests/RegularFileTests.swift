import Foundation
import SpoolFormat
import Testing

#if canImport(Glibc)
    import Glibc
#endif

@Suite("reading files and printing names")
struct RegularFileTests {
    func temporaryDirectory() throws -> String {
        let path = NSTemporaryDirectory() + "regular-file-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    @Test("special files and symlinks are refused by name, without blocking", .timeLimit(.minutes(1)))
    func specialFiles() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/fifo", 0o644) == 0)
        try Data("hello\n".utf8).write(to: URL(fileURLWithPath: dir + "/file"))
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: dir + "/file")
        let cases: [(String, String)] = [
            ("fifo", "is a FIFO (named pipe), not a regular file"),
            ("link", "is a symbolic link, not a regular file"),
            (".", "is a directory, not a regular file"),
            ("missing", "open failed: No such file or directory"),
        ]
        for (name, message) in cases {
            let error = #expect(throws: RegularFile.Failure.self) { try RegularFile.read(dir + "/" + name, maxBytes: 100) }
            #expect(error?.description == "\(dir)/\(name): \(message)")
        }
        #expect(try RegularFile.read(dir + "/link", maxBytes: 100, followSymlinks: true) == Array("hello\n".utf8))
        let tooLarge = #expect(throws: RegularFile.Failure.self) { try RegularFile.read(dir + "/file", maxBytes: 3) }
        #expect(tooLarge?.description == "\(dir)/file: is larger than the limit of 3 bytes")
        // Files whose size stat does not tell (as in /proc) are read to the end.
        #expect(try !RegularFile.read("/proc/self/status", maxBytes: 1 << 20).isEmpty)
    }

    @Test("a FIFO as allowed_signers is named as such, not as a permission problem", .timeLimit(.minutes(1)))
    func allowedSignersFIFO() throws {
        let dir = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(mkfifo(dir + "/allowed_signers", 0o644) == 0)
        let error = #expect(throws: AllowedSignersError.self) { try AllowedSigners(contentsOf: dir + "/allowed_signers") }
        #expect(error?.description == "\(dir)/allowed_signers: is a FIFO (named pipe), not a regular file")
    }

    @Test(
        "control characters, invalid UTF-8 and bidirectional overrides are escaped",
        arguments: [
            ("plain/path-1.json.gz", "plain/path-1.json.gz"),
            ("a\nb", #"a\nb"#),
            ("\u{1b}[2Jx", #"\x1b[2Jx"#),
            ("tab\there\r", #"tab\there\r"#),
            ("del\u{7f}c1\u{85}", #"del\x7fc1\x85"#),
            ("back\\slash", #"back\\slash"#),
            ("rtl\u{202e}txt.gz", #"rtl\u{202e}txt.gz"#),
            (String(decoding: [0x61, 0xff, 0x62], as: UTF8.self), #"a\u{fffd}b"#),
            ("é ü 日本", "é ü 日本"),
        ])
    func escapes(raw: String, printed: String) {
        #expect(PrintableText.path(raw) == printed)
    }
}
