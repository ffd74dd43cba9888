/// Told about an upload as it goes.
public protocol UploadProgress: AnyObject {
    /// `count` more entries to send (verification hands them over batch by batch).
    func discovered(_ count: Int)
    func finished(_ record: Ledger.AttemptRecord)
}
