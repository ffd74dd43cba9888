import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A throwaway PostgreSQL server (Debian `postgresql-15`) for the tests of one test process:
/// `initdb` into a temporary folder, `pg_ctl start` on a free port of 127.0.0.1 with trust
/// authentication and its socket in that folder, as the `postgres` user when the tests run as
/// root (PostgreSQL refuses to run as root). It is started by the first test that asks for it and
/// stopped, its folder removed, when the test process exits, whether the tests passed or not.
///
/// Each test takes a database of its own (`createDatabase()`). A missing PostgreSQL is an error,
/// never a reason to skip: `Scripts/test.sh` installs it.
public final class PostgresServer: Sendable {
    public static let binaries = "/usr/lib/postgresql/15/bin"

    public let directory: String
    public let port: Int
    /// The user the server runs as when the tests run as root; `nil`: the tests' own user.
    let serverUser: String?

    /// The server of this test process, started on first use.
    public static func shared() async throws -> PostgresServer { try await offThePool { try started.get() } }

    private static let started = Result { try PostgresServer() }

    /// Runs `body` on a thread of its own: starting processes and waiting for them blocks, and the
    /// few threads of Swift's cooperative pool must stay free (Foundation reaps children there).
    static func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
        }
    }

    private init() throws {
        guard FileManager.default.isExecutableFile(atPath: Self.binaries + "/pg_ctl") else {
            throw PostgresServerError("PostgreSQL 15 is not installed (no \(Self.binaries)/pg_ctl); Scripts/test.sh installs postgresql-15")
        }
        // A short path under /tmp: the socket path must stay under 108 bytes.
        var template = Array("/tmp/telemetryspool-pg-XXXXXX".utf8CString)
        guard mkdtemp(&template) != nil else { throw PostgresServerError("cannot create a temporary folder: \(String(cString: strerror(errno)))") }
        directory = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        if getuid() == 0 {
            guard let account = getpwnam("postgres") else {
                throw PostgresServerError("the tests run as root, and there is no postgres user to run PostgreSQL (postgresql-15 creates it)")
            }
            guard chown(directory, account.pointee.pw_uid, account.pointee.pw_gid) == 0 else {
                throw PostgresServerError("cannot hand \(directory) to the postgres user: \(String(cString: strerror(errno)))")
            }
            serverUser = "postgres"
        } else {
            serverUser = nil
        }
        try Self.runChecked(
            serverUser, Self.binaries + "/initdb",
            [
                "-D", directory + "/data", "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-instructions",
                // A throwaway cluster: its initial files need no fsync (the server itself keeps fsync on).
                "--no-sync",
            ])
        // A free port can be taken between our probe and the server's bind: try a few.
        var lastError: (any Error)?
        for _ in 0..<5 {
            let candidate = try Self.freePort()
            do {
                try Self.runChecked(
                    serverUser, Self.binaries + "/pg_ctl",
                    [
                        "-D", directory + "/data", "-l", directory + "/server.log", "-w", "-t", "60",
                        "-o", "-p \(candidate) -k \(directory) -c listen_addresses=127.0.0.1", "start",
                    ])
                port = candidate
                atexit { PostgresServer.stopShared() }
                return
            } catch {
                lastError = error
            }
        }
        let log = (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
        throw PostgresServerError("PostgreSQL did not start: \(lastError.map { "\($0)" } ?? "") \(log)")
    }

    /// Stops the shared server, if it was started, and removes its folder.
    private static func stopShared() {
        guard case .success(let server) = started else { return }
        _ = try? run(server.serverUser, binaries + "/pg_ctl", ["-D", server.directory + "/data", "-m", "immediate", "-w", "stop"])
        try? FileManager.default.removeItem(atPath: server.directory)
    }

    /// A new, empty database; returns its URL (`postgres://postgres@127.0.0.1:PORT/NAME`).
    public func createDatabase() async throws -> String {
        let name = "test_" + UUID().uuidString.prefix(13).lowercased().replacingOccurrences(of: "-", with: "")
        let port = port
        _ = try await Self.offThePool { try Self.runChecked(nil, Self.binaries + "/createdb", ["-h", "127.0.0.1", "-p", "\(port)", "-U", "postgres", name]) }
        return "postgres://postgres@127.0.0.1:\(port)/\(name)"
    }

    /// Runs one SQL statement with the stock `psql` and returns its rows, fields separated by `|`.
    public func psql(_ url: String, _ sql: String) async throws -> [String] {
        try await Self.offThePool {
            try Self.runChecked(nil, Self.binaries + "/psql", ["-X", "-v", "ON_ERROR_STOP=1", "-tA", "-d", url, "-c", sql]).lines
        }
    }

    @discardableResult
    private static func runChecked(_ user: String?, _ executable: String, _ arguments: [String]) throws -> Command.Result {
        let result = try run(user, executable, arguments)
        guard result.status == 0 else {
            throw PostgresServerError("\(executable) \(arguments.joined(separator: " ")) exited \(result.status): \(result.stderr)\(result.stdout)")
        }
        return result
    }

    private static func run(_ user: String?, _ executable: String, _ arguments: [String]) throws -> Command.Result {
        let argv = (user.map { ["/usr/sbin/runuser", "-u", $0, "--"] } ?? []) + [executable] + arguments
        return try spawn(argv)
    }

    /// Runs `argv` to completion with its output in a file and every other descriptor closed.
    /// `Command.run` (Foundation's `Process`) will not do for `pg_ctl start`: the server it leaves
    /// running would inherit the socket by which `Process` learns that its child ended, and
    /// `Process` would wait for the server instead.
    private static func spawn(_ argv: [String]) throws -> Command.Result {
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("pg-\(UUID().uuidString).out").path
        defer { try? FileManager.default.removeItem(atPath: output) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // glibc 2.34's extensions, which the Glibc module does not declare.
        typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        typealias ChangeDirectory = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        guard let closeFrom = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np"),
            let changeDirectory = dlsym(nil, "posix_spawn_file_actions_addchdir_np")
        else { throw PostgresServerError("this C library has no posix_spawn_file_actions_addclosefrom_np (glibc 2.34 or later needed)") }
        _ = unsafeBitCast(closeFrom, to: CloseFrom.self)(&actions, 3)
        _ = unsafeBitCast(changeDirectory, to: ChangeDirectory.self)(&actions, "/tmp")
        let arguments: [UnsafeMutablePointer<CChar>?] = argv.map { strdup($0) } + [nil]
        defer { arguments.forEach { free($0) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, nil, arguments, environ)
        guard rc == 0 else { throw PostgresServerError("cannot run \(argv[0]): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        let text = (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        // Exited normally: the status is in bits 8...15; otherwise report the signal as 128 + N.
        let exitStatus = status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
        return Command.Result(status: exitStatus, stdout: text, stderr: "")
    }

    /// A port of 127.0.0.1 that nothing listens on now (the kernel's pick for port 0).
    public static func freePort() throws -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard socket >= 0 else { throw PostgresServerError("socket: \(String(cString: strerror(errno)))") }
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) == 0 && getsockname(socket, $0, &length) == 0 }
        }
        guard bound else { throw PostgresServerError("cannot bind 127.0.0.1:0: \(String(cString: strerror(errno)))") }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}

public struct PostgresServerError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}
