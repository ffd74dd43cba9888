import FoundationEssentials
import SpoolFormat

/// The last batch exported, kept in the state directory so that the next export starts after it.
///
/// Saved only once the batch is complete on the media; an export killed before that leaves the
/// record as it was, and the next export writes the same entries again (the uploader deduplicates).
public struct ExportRecord: Equatable, Sendable {
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

extension ExportRecord: StateRecord {}

extension StateDirectory {
    /// The record of the last export, nil before the first one.
    public func loadExportRecord(installation: String) throws -> ExportRecord? {
        try loadRecord(ExportRecord.self, installation: installation)
    }

    public func saveExportRecord(_ record: ExportRecord) throws { try saveRecord(record) }
}
