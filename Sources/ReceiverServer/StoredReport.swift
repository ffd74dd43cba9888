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

    public init(
        id: Int64, digest: String, installation: String, sequence: Int64, kind: String, productVersion: String, created: String,
        receivedAt: Double, duplicates: Int, body: [UInt8]
    ) {
        self.id = id
        self.digest = digest
        self.installation = installation
        self.sequence = sequence
        self.kind = kind
        self.productVersion = productVersion
        self.created = created
        self.receivedAt = receivedAt
        self.duplicates = duplicates
        self.body = body
    }
}
