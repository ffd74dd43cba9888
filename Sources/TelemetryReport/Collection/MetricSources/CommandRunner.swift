import FoundationEssentials
import SpoolStore

#if canImport(Glibc)
    import Glibc
#endif

/// Runs a program with a time limit and reads one bounded JSON value from its stdout.
///
/// No shell is involved: the first argument is the program (a path, or a name looked up in
/// `PATH`). Its stdin is `/dev/null`, its stderr is discarded, and it runs in its own process
/// group, so on a timeout or an oversized output the whole group is killed with SIGKILL.
public struct CommandRunner: Sendable {
    public var maxOutputBytes: Int
    public var json: BoundedJSON
    /// The working directory of the program and the base of a relative program path.
    public var directory: String
    /// A source's time limit unless its configuration sets `timeout` (sqlite queries get it too).
    public static let defaultTimeout = 10.0

    public init(directory: String = ".", maxOutputBytes: Int = 64 * 1024, json: BoundedJSON = BoundedJSON()) {
        self.directory = directory
        self.maxOutputBytes = maxOutputBytes
        self.json = json
    }

    public func run(_ arguments: [String], timeout: Double) throws(SourceFailure) -> JSONValue {
        guard let program = arguments.first, let executable = resolve(program) else { throw .commandNotFound }
        let output = try capture(executable: executable, arguments: arguments, timeout: timeout)
        do {
            return try BoundedJSON(maxBytes: maxOutputBytes, maxDepth: json.maxDepth, maxElements: json.maxElements).parse(output)
        } catch {
            throw SourceFailure(error)
        }
    }

    func resolve(_ program: String) -> String? {
        if program.contains("/") {
            let path = FileSystem.resolve(program, against: directory)
            return access(path, X_OK) == 0 ? path : nil
        }
        let search = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin"
        for folder in search.split(separator: ":") where !folder.isEmpty {
            let path = FileSystem.path(program, in: String(folder))
            if access(path, X_OK) == 0 { return path }
        }
        return nil
    }

    func capture(executable: String, arguments: [String], timeout: Double) throws(SourceFailure) -> [UInt8] {
        var pipeEnds: [Int32] = [0, 0]
        guard pipe(&pipeEnds) == 0 else { throw .commandFailed }
        _ = fcntl(pipeEnds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(pipeEnds[1], F_SETFD, FD_CLOEXEC)
        let (readEnd, writeEnd) = (pipeEnds[0], pipeEnds[1])
        defer { close(readEnd) }

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_adddup2(&actions, writeEnd, 1)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        _ = spawnAddChdir(&actions, directory)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        posix_spawnattr_setpgroup(&attributes, 0)
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        sigaddset(&defaults, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaults)

        var pid: pid_t = 0
        let argv: [UnsafeMutablePointer<CChar>?] = ([executable] + arguments.dropFirst()).map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        let status = posix_spawn(&pid, executable, &actions, &attributes, argv, environ)
        close(writeEnd)
        guard status == 0 else { throw status == ENOENT || status == EACCES ? .commandNotFound : .commandFailed }

        let deadline = Date().addingTimeInterval(timeout)
        func killGroup() {
            kill(-pid, SIGKILL)
            kill(pid, SIGKILL)
            var ignored: Int32 = 0
            while waitpid(pid, &ignored, 0) < 0 && errno == EINTR {}
        }
        var output: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else {
                killGroup()
                throw .commandTimeout
            }
            var poller = pollfd(fd: readEnd, events: Int16(POLLIN), revents: 0)
            let ready = poll(&poller, 1, Int32(min(remaining * 1000, 1000).rounded(.up)))
            if ready < 0 {
                if errno == EINTR { continue }
                killGroup()
                throw .commandFailed
            }
            if ready == 0 { continue }
            let count = buffer.withUnsafeMutableBytes { read(readEnd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                killGroup()
                throw .commandFailed
            }
            if count == 0 { break }
            output.append(contentsOf: buffer[0..<count])
            if output.count > maxOutputBytes {
                killGroup()
                throw .outputTooLarge
            }
        }
        // Output is complete; wait for the exit status within what is left of the time limit.
        var exitStatus: Int32 = 0
        while true {
            let result = waitpid(pid, &exitStatus, WNOHANG)
            if result == pid { break }
            if result < 0 && errno != EINTR { throw .commandFailed }
            guard deadline.timeIntervalSinceNow > 0 else {
                killGroup()
                throw .commandTimeout
            }
            usleep(2_000)
        }
        // WIFEXITED && WEXITSTATUS == 0
        guard exitStatus & 0x7f == 0, (exitStatus >> 8) & 0xff == 0 else { throw .commandFailed }
        return output
    }
}

/// glibc 2.29+; not in the Glibc module map.
@_silgen_name("posix_spawn_file_actions_addchdir_np")
private func spawnAddChdir(_ actions: UnsafeMutablePointer<posix_spawn_file_actions_t>, _ path: UnsafePointer<CChar>) -> Int32

extension SourceFailure {
    public static let outputTooLarge = SourceFailure("output_too_large")
}
