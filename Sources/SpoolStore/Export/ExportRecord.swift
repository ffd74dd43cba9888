import Foundation
import SpoolFormat

/// The last batch exported, kept in the state directory so that the next export starts after it.
///
/// Saved only once the batch is complete on the media; an export killed before that leaves the
/// record as it was, and the next export writes the same entries again (the uploader deduplicates).
public struct ExportRecord: Codable, Equatable, Sendable {
    public static let fileName = "export-state.json"

    public var installation: String
    /// The sequence and digest of the last entry of the last batch.
    public var lastSequence: UInt64
    public var lastDigest: EntryDigest
    /// The batch's folder name and when it was made.
    public var batch: String
    public var exported: String

    public init(installation: String, lastSequence: UInt64, lastDigest: EntryDigest, batch: String, exported: String) {
        self.installation = installation
        self.lastSequence = lastSequence
        self.lastDigest = lastDigest
        self.batch = batch
        self.exported = exported
    }
}

extension StateDirectory {
    /// The record of the last export, nil before the first one.
    public func loadExportRecord(installation: String) throws -> ExportRecord? {
        let path = file(ExportRecord.fileName)
        guard FileSystem.exists(path) else { return nil }
        let record: ExportRecord
        do {
            record = try JSONDecoder().decode(ExportRecord.self, from: Data(try FileSystem.read(path, maxBytes: 64 * 1024)))
        } catch let error as FileSystemError {
            throw error
        } catch {
            throw StateError.malformed(file: path, reason: "cannot be decoded (\(error))")
        }
        guard record.installation == installation else {
            throw StateError.malformed(file: path, reason: "records installation \(record.installation), not \(installation)")
        }
        return record
    }

    public func saveExportRecord(_ record: ExportRecord) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try DurableDirectory(path: path).publish([UInt8](try encoder.encode(record)) + [0x0a], as: ExportRecord.fileName, permissions: 0o600, replace: true)
    }
}
