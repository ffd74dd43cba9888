import Foundation
import TestSupport
import Testing

/// How a user may spell a path on the command line. Every form must reach the same place.
enum PathSpelling: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case oneLetter, relative, dotSlash, trailingSlash, absolute

    var testDescription: String { rawValue }

    /// The argument for a path named `letter`, and where it points inside `work`.
    func spell(_ letter: String, in work: TemporaryDirectory) -> (argument: String, location: String) {
        switch self {
        case .oneLetter: (letter, work.file(letter))
        case .relative: ("sub/" + letter, work.file("sub/" + letter))
        case .dotSlash: ("./" + letter, work.file(letter))
        case .trailingSlash: (letter + "/", work.file(letter))
        case .absolute: (work.file(letter), work.file(letter))
        }
    }

    /// A file cannot be named with a trailing slash; the other forms apply to files too.
    static let forFiles = allCases.filter { $0 != .trailingSlash }
}

/// The real binaries, run in a fresh working directory, with every spelling of every path option.
@Suite("Path options", .timeLimit(.minutes(2)))
struct PathOptionTests {
    let work: TemporaryDirectory

    init() throws {
        work = try TemporaryDirectory("paths")
        // The `relative` spelling names a path below an existing folder.
        try FileManager.default.createDirectory(atPath: work.file("sub"), withIntermediateDirectories: true)
    }

    func spooler(_ arguments: String...) throws -> Command.Result {
        try Command.run(Command.product("spooler"), arguments, in: work.path)
    }

    @Test("spooler --spool", arguments: PathSpelling.allCases)
    func spool(_ spelling: PathSpelling) throws {
        let (argument, location) = spelling.spell("s", in: work)
        let collected = try spooler("collect", "--spool", argument, "--state", "t")
        #expect(collected.status == 0, "\(collected.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: location).contains { $0.hasSuffix("-0000000001.json.gz.sig") })
        let verified = try spooler("verify", "--spool", argument, "--state", "t")
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test("spooler --state", arguments: PathSpelling.allCases)
    func state(_ spelling: PathSpelling) throws {
        let (argument, location) = spelling.spell("t", in: work)
        let collected = try spooler("collect", "--spool", "s", "--state", argument)
        #expect(collected.status == 0, "\(collected.stderr)")
        #expect(FileManager.default.fileExists(atPath: location + "/signing-key"))
        let verified = try spooler("verify", "--spool", "s", "--state", argument)
        #expect(verified.status == 0, "\(verified.stdout)\(verified.stderr)")
    }

    @Test("spooler --config", arguments: PathSpelling.forFiles)
    func config(_ spelling: PathSpelling) throws {
        let (argument, location) = spelling.spell("c", in: work)
        try "product_version = 9.8.7\n".write(toFile: location, atomically: true, encoding: .utf8)
        let preview = try spooler("preview", "--config", argument, "--state", "t")
        #expect(preview.status == 0, "\(preview.stderr)")
        #expect(preview.stdout.contains("9.8.7"))
    }

    @Test("receiver --db and uploader --ledger", arguments: PathSpelling.forFiles)
    func databaseAndLedger(_ spelling: PathSpelling) async throws {
        #expect(try spooler("collect", "--spool", "s", "--state", "t").status == 0)
        let (db, dbLocation) = spelling.spell("d", in: work)
        let receiver = try await StartedReceiver(arguments: ["--db", db], in: work)
        defer { receiver.stop() }
        #expect(FileManager.default.fileExists(atPath: dbLocation))

        let (ledger, ledgerLocation) = spelling.spell("l", in: work)
        let upload = try Command.run(Command.product("uploader"), ["upload", "s", "--endpoint", receiver.url, "--ledger", ledger], in: work.path)
        #expect(upload.status == 0, "\(upload.stdout)\(upload.stderr)")
        #expect(FileManager.default.fileExists(atPath: ledgerLocation))
        let status = try Command.run(Command.product("uploader"), ["status", "--ledger", ledger], in: work.path)
        #expect(status.status == 0, "\(status.stderr)")
    }
}

/// The real `receiver` on 127.0.0.1 with a free port, run in `work` so relative paths start there.
struct StartedReceiver {
    let process = Process()
    let url: String

    init(arguments: [String], in work: TemporaryDirectory) async throws {
        let output = work.file("receiver-\(UUID().uuidString.prefix(8)).out")
        #expect(FileManager.default.createFile(atPath: output, contents: nil))
        process.executableURL = URL(fileURLWithPath: Command.product("receiver"))
        process.arguments = ["serve", "--host", "127.0.0.1", "--port", "0"] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: work.path)
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: output))
        process.standardOutput = handle
        process.standardError = handle
        try process.run()
        let deadline = Date().addingTimeInterval(30)
        var found: String?
        while found == nil, Date() < deadline, process.isRunning {
            let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
            found = text.split(separator: "\n").first { $0.hasPrefix("listening on ") }?.split(separator: " ").dropFirst(2).first.map(String.init)
            if found == nil { try await Task.sleep(for: .milliseconds(20)) }
        }
        guard let found else {
            process.terminate()
            throw StartFailure(output: (try? String(contentsOfFile: output, encoding: .utf8)) ?? "")
        }
        url = found
    }

    struct StartFailure: Error, CustomStringConvertible {
        var output: String
        var description: String { "the receiver did not print 'listening on': \(output)" }
    }

    func stop() {
        process.terminate()
        process.waitUntilExit()
    }
}
