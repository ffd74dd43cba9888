/// Why a source could not give a metric's value, as a stable code (never free text).
///
/// A failed source leaves its metric out of the report; the code is listed in the body's
/// `diagnostics`. The codes are documented in docs/PAYLOAD.md.
public struct SourceFailure: Error, Equatable, Sendable, CustomStringConvertible {
    public var code: String

    public init(_ code: String) { self.code = code }

    public var description: String { code }

    public static let notConfigured = SourceFailure("not_configured")
    public static let processNotFound = SourceFailure("process_not_found")
    public static let unavailable = SourceFailure("unavailable")
    public static let fileMissing = SourceFailure("file_missing")
    public static let fileUnreadable = SourceFailure("file_unreadable")
    public static let fileTooLarge = SourceFailure("file_too_large")
    /// Not UTF-8 text with LF or CRLF line ends (a stray CR, a NUL byte, invalid UTF-8).
    public static let notText = SourceFailure("not_text")
    public static let fieldMissing = SourceFailure("field_missing")
    public static let wrongShape = SourceFailure("wrong_shape")
    public static let commandNotFound = SourceFailure("command_not_found")
    public static let commandFailed = SourceFailure("command_failed")
    public static let commandTimeout = SourceFailure("command_timeout")
    public static let databaseMissing = SourceFailure("database_missing")
    public static let databaseError = SourceFailure("database_error")
    public static let queryError = SourceFailure("query_error")
    public static let queryTimeout = SourceFailure("query_timeout")
    public static let queryNotReadOnly = SourceFailure("query_not_read_only")
    public static let noValue = SourceFailure("no_value")
    public static let tooManyRows = SourceFailure("too_many_rows")
    public static let duplicateKind = SourceFailure("duplicate_kind")

    init(_ error: JSONReadError) { self.init(error.code) }
}

extension JSONValue {
    /// The value of `field` in an object, or the value itself when no field is named.
    func select(field: String?) throws(SourceFailure) -> JSONValue {
        guard let field else { return self }
        guard case .object(let object) = self else { throw .wrongShape }
        guard let value = object[field] else { throw .fieldMissing }
        return value
    }
}
