import Foundation
import Logging
import TestSupport
import Testing

@testable import ReceiverServer

#if canImport(Glibc)
    import Glibc
#endif

/// Who may look at the admin pages: the token file's rules and the loopback rule.
@Suite("Admin token and listening address")
struct AdminAccessTests {
    let temp: TemporaryDirectory

    init() throws { temp = try TemporaryDirectory() }

    func file(_ contents: [UInt8], mode: mode_t = 0o600) throws -> String {
        let path = temp.file("token-\(UUID().uuidString.prefix(6))")
        try Data(contents).write(to: URL(fileURLWithPath: path))
        #expect(chmod(path, mode) == 0)
        return path
    }

    @Test(.timeLimit(.minutes(1)))
    func tokenFileWithOneTrailingNewlineIsTheToken() throws {
        let token = try AdminToken(contentsOf: try file(Array("abc-123_XYZ\n".utf8)))
        #expect(token.matches("abc-123_XYZ".utf8))
        #expect(!token.matches("abc-123_XYZ\n".utf8))
        #expect(!token.matches("abc-123_XY".utf8))
        #expect(!token.matches("".utf8))
        #expect(try AdminToken(contentsOf: try file(Array("abc".utf8), mode: 0o400)).matches("abc".utf8))
    }

    @Test(
        .timeLimit(.minutes(1)),
        arguments: [
            (Array("abc\n".utf8), 0o604 as mode_t, "readable by group or others (mode 604); make it private: chmod 600"),
            (Array("abc\n".utf8), 0o660 as mode_t, "readable by group or others (mode 660)"),
            ([], 0o600 as mode_t, "the admin token is empty"),
            (Array("\n".utf8), 0o600 as mode_t, "the admin token is empty"),
            (Array("ab\0c".utf8), 0o600 as mode_t, "holds byte 0x0 at offset 2"),
            (Array("abc\r\n".utf8), 0o600 as mode_t, "holds byte 0xd at offset 3"),
            ([0x61, 0xff], 0o600 as mode_t, "holds byte 0xff at offset 1"),
            (Array(repeating: 0x61, count: 4097), 0o600 as mode_t, "longer than 4096 bytes"),
        ])
    func badTokenFilesAreRefusedNamingTheFile(contents: [UInt8], mode: mode_t, problem: String) throws {
        let path = try file(contents, mode: mode)
        let error = #expect(throws: AdminTokenError.self) { try AdminToken(contentsOf: path) }
        #expect(error?.description.hasPrefix("\(path): ") == true, "\(String(describing: error))")
        #expect(error?.description.contains(problem) == true, "\(String(describing: error))")
    }

    @Test(.timeLimit(.minutes(1)))
    func aDirectoryIsNotATokenFile() throws {
        let directory = temp.file("folder")
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: false)
        #expect(chmod(directory, 0o700) == 0)
        let error = #expect(throws: AdminTokenError.self) { try AdminToken(contentsOf: directory) }
        #expect(error?.description == "\(directory): the admin token file is not a regular file")
    }

    @Test(arguments: [
        ("127.0.0.1", true), ("127.4.5.6", true), ("::1", true), ("0:0:0:0:0:0:0:1", true), ("localhost", true), ("LocalHost", true),
        ("0.0.0.0", false), ("::", false), ("128.0.0.1", false), ("10.0.0.1", false), ("::ffff:127.0.0.1", false),
        ("receiver.example", false), ("localhost.example", false),
    ])
    func loopbackIsOnlyThisMachine(host: String, loopback: Bool) {
        #expect(ListeningAddress.isLoopback(host) == loopback)
    }

    @Test(.timeLimit(.minutes(1)))
    func buildingAReceiverBeyondLoopbackNeedsAToken() async throws {
        let configuration = ReceiverConfiguration(host: "0.0.0.0", port: 0, databasePath: temp.file("r.sqlite"))
        let error = await #expect(throws: AdminTokenError.self) { _ = try await buildApplication(configuration, logger: Logger(label: "test")) }
        #expect(error?.description.hasPrefix("refusing to listen on 0.0.0.0 without an admin token") == true)
        #expect(!FileManager.default.fileExists(atPath: temp.file("r.sqlite")), "refused before the store is opened")
        var withToken = configuration
        withToken.adminToken = try AdminToken("a-token")
        _ = try await buildApplication(withToken, logger: Logger(label: "test"))
    }
}
