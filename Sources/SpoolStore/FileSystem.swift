import FoundationEssentials
import SpoolFormat
import SystemPackage

#if canImport(Glibc)
    import Glibc
#endif

/// A file-system failure naming the path and the system call that failed (the file layer's
/// error is SpoolFormat's, so reading and writing report failures alike).
public typealias FileSystemError = RegularFile.Failure

/// Small, explicit wrappers over the system calls that the spool's guarantees rest on.
public enum FileSystem {
    /// Reads a regular file, refusing symlinks, FIFOs and other special files (without blocking
    /// on them) and files larger than `maxBytes`.
    public static func read(_ path: String, maxBytes: Int) throws -> [UInt8] {
        try RegularFile.read(path, maxBytes: maxBytes)
    }

    public static func mode(of path: String) -> mode_t? {
        var info = stat()
        guard lstat(path, &info) == 0 else { return nil }
        return info.st_mode
    }

    public static func exists(_ path: String) -> Bool { mode(of: path) != nil }

    public static func isDirectory(_ path: String) -> Bool {
        guard let mode = mode(of: path) else { return false }
        return (mode & S_IFMT) == S_IFDIR
    }

    /// Creates a directory and its parents with `permissions` for the directories it creates.
    public static func makeDirectory(_ path: String, permissions: mode_t) throws {
        if isDirectory(path) { return }
        let target = FilePath(path)
        let parent = target.removingLastComponent()
        if !parent.isEmpty, parent != target { try makeDirectory(parent.string, permissions: 0o755) }
        if mkdir(path, permissions) != 0, errno != EEXIST {
            throw FileSystemError(path: path, operation: "mkdir", errno: errno)
        }
    }

    /// The canonical absolute path, resolving symlinks of the part that exists.
    public static func canonicalPath(_ path: String) -> String {
        let absolute = FilePath(FileManager.default.currentDirectoryPath).pushing(FilePath(path))
        if let resolved = realpath(absolute.string, nil) {
            defer { free(resolved) }
            return String(cString: resolved)
        }
        guard let last = absolute.lastComponent else { return absolute.string }
        return FilePath(canonicalPath(absolute.removingLastComponent().string)).appending(last).string
    }

    /// The directory holding `path`: `.` for a bare name such as `ledger.sqlite`.
    public static func directory(containing path: String) -> String {
        let parent = FilePath(path).removingLastComponent()
        return parent.isEmpty ? "." : parent.string
    }

    /// The last component of `path`: the file or folder name.
    public static func name(of path: String) -> String {
        FilePath(path).lastComponent?.string ?? path
    }

    /// `path` taken relative to `base` unless it is absolute.
    public static func resolve(_ path: String, against base: String) -> String {
        FilePath(base).pushing(FilePath(path)).string
    }

    /// `name` (a file name or a relative path) inside `directory`.
    public static func path(_ name: String, in directory: String) -> String {
        FilePath(directory).appending(name).string
    }

    /// Whether `path` is `directory` or lies below it, compared by canonical paths (so `.`, `..`,
    /// symlinks and trailing slashes do not hide a nested path).
    public static func isWithin(_ path: String, directory: String) -> Bool {
        FilePath(canonicalPath(path)).starts(with: FilePath(canonicalPath(directory)))
    }

    /// Calls `body` with each name in a directory and whether it is a regular file (not a
    /// symlink), without `.` and `..`, and without collecting the names first.
    ///
    /// Uses the type readdir reports, so a large spool is listed without a stat per file.
    public static func forEachName(in path: String, _ body: (_ name: String, _ isRegularFile: Bool) throws -> Void) throws {
        guard let dir = opendir(path) else { throw FileSystemError(path: path, operation: "opendir", errno: errno) }
        defer { closedir(dir) }
        while let entry = readdir(dir) {
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." { continue }
            let type = entry.pointee.d_type
            let regular =
                type == UInt8(DT_UNKNOWN)
                ? (mode(of: Self.path(name, in: path)).map { ($0 & S_IFMT) == S_IFREG } ?? false)
                : type == UInt8(DT_REG)
            try body(name, regular)
        }
    }

}

/// An open directory in which files are published durably and atomically.
///
/// `publish` writes a temporary file created with `O_EXCL` in the same directory, writes all
/// bytes, fsyncs, renames it into place without replacing anything, and fsyncs the directory.
/// Readers never see a partial file. An fsync failure is fatal for that file: the temporary is
/// removed and the error returned; it is never retried blindly (the page cache state is unknown).
public final class DurableDirectory {
    public static let temporaryPrefix = ".tmp-"
    public let path: String
    private let fd: Int32

    public init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError(path: path, operation: "open directory", errno: errno) }
    }

    deinit { close(fd) }

    /// Writes `bytes` to `name`. When `replace` is false an existing file is never replaced.
    public func publish(_ bytes: [UInt8], as name: String, permissions: mode_t = 0o644, replace: Bool = false, sync: Bool = true) throws {
        let temporary = Self.temporaryPrefix + name + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let file = openat(fd, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, permissions)
        guard file >= 0 else { throw FileSystemError(path: full(temporary), operation: "create", errno: errno) }
        var failure: FileSystemError?
        var written = 0
        while written < bytes.count, failure == nil {
            let n = bytes.withUnsafeBytes { write(file, $0.baseAddress! + written, $0.count - written) }
            if n < 0 {
                if errno != EINTR { failure = FileSystemError(path: full(temporary), operation: "write", errno: errno) }
            } else {
                written += n
            }
        }
        if failure == nil, fchmod(file, permissions) != 0 { failure = FileSystemError(path: full(temporary), operation: "fchmod", errno: errno) }
        if failure == nil, sync, fsync(file) != 0 { failure = FileSystemError(path: full(temporary), operation: "fsync", errno: errno) }
        if close(file) != 0, failure == nil { failure = FileSystemError(path: full(temporary), operation: "close", errno: errno) }
        if failure == nil {
            if replace {
                if renameat(fd, temporary, fd, name) != 0 { failure = FileSystemError(path: full(name), operation: "rename", errno: errno) }
            } else if linkat(fd, temporary, fd, name, 0) != 0 {
                // link(2) fails with EEXIST instead of replacing: an entry is written once, never overwritten.
                failure = FileSystemError(path: full(name), operation: "link", errno: errno)
            } else {
                unlinkat(fd, temporary, 0)
            }
        }
        if let failure {
            unlinkat(fd, temporary, 0)
            throw failure
        }
        if sync { try self.sync() }
    }

    /// fsync of the directory, so that renames and removals survive a power loss.
    public func sync() throws {
        guard fsync(fd) == 0 else { throw FileSystemError(path: path, operation: "fsync directory", errno: errno) }
    }

    public func remove(_ name: String) throws {
        guard unlinkat(fd, name, 0) == 0 else { throw FileSystemError(path: full(name), operation: "unlink", errno: errno) }
    }

    public func full(_ name: String) -> String { FileSystem.path(name, in: path) }
}
