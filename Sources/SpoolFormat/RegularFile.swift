#if canImport(Glibc)
    import Glibc
#endif

/// Reads whole regular files, the one way every file we read is opened.
///
/// `O_NOFOLLOW | O_NONBLOCK` and an `fstat` before the first read: a symlink, FIFO, device,
/// socket or directory is refused by name instead of followed, hung on, or read without end.
public enum RegularFile {
    /// Why a file could not be read; `description` names the file and says what it is instead.
    public struct Failure: Error, Equatable, Sendable, CustomStringConvertible {
        public var path: String
        public var operation: String
        public var errno: Int32
        /// What the path turned out to be, when it is not a regular file ("a FIFO", …).
        public var kind: String?
        public var limit: Int?

        public init(path: String, operation: String, errno: Int32, kind: String? = nil, limit: Int? = nil) {
            self.path = path
            self.operation = operation
            self.errno = errno
            self.kind = kind
            self.limit = limit
        }

        public var description: String { "\(PrintableText.path(path)): \(reason)" }

        /// What went wrong, without the path (for a message that names the file already).
        public var reason: String {
            if let kind { return "is \(kind), not a regular file" }
            if let limit { return "is larger than the limit of \(limit) bytes" }
            return "\(operation) failed: \(String(cString: strerror(errno)))"
        }
    }

    /// The bytes of the regular file at `path`, at most `maxBytes` of them.
    ///
    /// `followSymlinks` is for files a user names (a configuration, an allowed_signers file, a
    /// source), which may well be links; files of the spool and state directory never are.
    public static func read(_ path: String, maxBytes: Int, followSymlinks: Bool = false) throws(Failure) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY | (followSymlinks ? 0 : O_NOFOLLOW))
        guard fd >= 0 else {
            let code = errno
            throw Failure(path: path, operation: "open", errno: code, kind: code == ELOOP && !followSymlinks ? "a symbolic link" : nil)
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw Failure(path: path, operation: "fstat", errno: errno) }
        if let kind = kind(of: info.st_mode) { throw Failure(path: path, operation: "open", errno: EINVAL, kind: kind) }
        guard Int(info.st_size) <= maxBytes else { throw Failure(path: path, operation: "read", errno: EFBIG, limit: maxBytes) }
        // Read up to one byte past the cap, in case the file grows while being read.
        var buffer = [UInt8](repeating: 0, count: min(Int(info.st_size), maxBytes) + 1)
        var filled = 0
        while true {
            if filled == buffer.count {
                guard buffer.count <= maxBytes else { throw Failure(path: path, operation: "read", errno: EFBIG, limit: maxBytes) }
                buffer.append(contentsOf: [UInt8](repeating: 0, count: min(buffer.count, maxBytes + 1 - buffer.count)))
            }
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(path: path, operation: "read", errno: errno)
            }
            if n == 0 { break }
            filled += n
        }
        guard filled <= maxBytes else { throw Failure(path: path, operation: "read", errno: EFBIG, limit: maxBytes) }
        buffer.removeSubrange(filled...)
        return buffer
    }

    /// Refuses anything but a regular file at `path` without opening it for reading (for files
    /// another library opens, such as a SQLite database). Symlinks are followed here.
    public static func check(_ path: String) throws(Failure) {
        var info = stat()
        guard stat(path, &info) == 0 else { throw Failure(path: path, operation: "stat", errno: errno) }
        if let kind = kind(of: info.st_mode) { throw Failure(path: path, operation: "stat", errno: EINVAL, kind: kind) }
    }

    /// What a non-regular file is, in words; nil for a regular file.
    static func kind(of mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFSOCK: return "a socket"
        case S_IFLNK: return "a symbolic link"
        default: return "a special file"
        }
    }
}
