import FoundationEssentials
import SpoolFormat
import SpoolProtocol

/// The newest receipts `spooler ack` applied, kept in the state directory so that a receipt
/// replayed a second time, or one older than an applied one, is refused.
///
/// Receipts are ordered by their `issued` time (the uploader's clock, seconds); the digests of the
/// receipts applied with the newest time are kept so that two receipts of the same second both apply.
public struct AppliedReceipts: StateRecord, Equatable, Sendable {
    public static let fileName = "receipts-applied.json"

    public var installation: String
    /// The `issued` time of the newest receipt applied.
    public var issued: String
    /// The SHA-256 of each receipt applied with that time.
    public var digests: [EntryDigest]

    public init(installation: String, issued: String, digests: [EntryDigest]) {
        self.installation = installation
        self.issued = issued
        self.digests = digests
    }

    /// Why a receipt must not be applied again, or nil when it is new.
    public func replayReason(issued other: String, digest: EntryDigest) -> String? {
        // Both are `UTCTimestamp`s of one fixed width, so text order is time order.
        if other < issued { return "it was issued at \(other), before the receipt of \(issued) that was already applied: an old receipt replayed" }
        if other == issued, digests.contains(digest) { return "it was already applied (same receipt, issued \(other)): a receipt is applied once" }
        return nil
    }

    /// The record after applying a receipt issued at `other` with `digest`.
    public func adding(issued other: String, digest: EntryDigest) -> AppliedReceipts {
        other == issued
            ? AppliedReceipts(installation: installation, issued: issued, digests: digests + [digest])
            : AppliedReceipts(installation: installation, issued: other, digests: [digest])
    }
}

extension StateDirectory {
    /// The receipts applied so far, nil before the first one.
    public func loadAppliedReceipts(installation: String) throws -> AppliedReceipts? {
        try loadRecord(AppliedReceipts.self, installation: installation)
    }

    public func saveAppliedReceipts(_ record: AppliedReceipts) throws { try saveRecord(record) }
}
