import FoundationEssentials
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
        let bytes = try Self.readBytes(path, maxBytes: maxBytes)
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
        let bytes = try readBytes(path, maxBytes: maxBytes)
        do {
            return try TextRules.lines(bytes)
        } catch {
            throw .notText
        }
    }

    /// A regular file's bytes; a FIFO or device is refused rather than waited on.
    static func readBytes(_ path: String, maxBytes: Int) throws(SourceFailure) -> [UInt8] {
        do {
            return try RegularFile.read(path, maxBytes: maxBytes, followSymlinks: true)
        } catch {
            if error.errno == ENOENT { throw .fileMissing }
            throw error.limit != nil ? .fileTooLarge : .fileUnreadable
        }
    }
}
