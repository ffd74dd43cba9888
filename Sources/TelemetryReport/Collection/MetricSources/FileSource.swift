import Foundation
import SpoolFormat
#if canImport(Glibc)
import Glibc
#endif

/// Reads one bounded JSON value from a file.
public struct FileSource: Sendable {
    public var maxBytes = 64 * 1024
    public var json = BoundedJSON()

    public init() {}

    public func read(_ path: String) throws(SourceFailure) -> JSONValue {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw errno == ENOENT ? .fileMissing : .fileUnreadable }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { throw .fileUnreadable }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16 * 1024)
        while true {
            let count = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress!, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .fileUnreadable
            }
            if count == 0 { break }
            bytes.append(contentsOf: buffer[0..<count])
            guard bytes.count <= maxBytes else { throw .fileTooLarge }
        }
        do {
            return try BoundedJSON(maxBytes: maxBytes, maxDepth: json.maxDepth, maxElements: json.maxElements).parse(bytes)
        } catch {
            throw error == .tooLarge ? .fileTooLarge : SourceFailure(error)
        }
    }
}

extension FileSource {
    /// The lines of a small text file, e.g. the license serial (``TextRules/lines(_:)``).
    static func readLines(_ path: String, maxBytes: Int) throws(SourceFailure) -> [String] {
        guard FileManager.default.fileExists(atPath: path) else { throw .fileMissing }
        guard let data = FileManager.default.contents(atPath: path) else { throw .fileUnreadable }
        guard data.count <= maxBytes else { throw .fileTooLarge }
        do {
            return try TextRules.lines([UInt8](data))
        } catch {
            throw .notText
        }
    }
}
