/// One stored entry as read back (top level in ReceiverServer, replacing ReceiverStore.StoredReport).
public struct StoredReport: Sendable, Equatable {
    public var id: Int64  // store order; the export cursor
    public var digest: String
    public var installation: String
    public var sequence: Int64
    public var kind: String  // "report" or "tombstone"
    public var productVersion: String
    public var created: String  // the entry's own created timestamp
    public var receivedAt: Double  // seconds since 1970
    public var duplicates: Int
    public var body: [UInt8]  // the report body's JSON bytes
}
