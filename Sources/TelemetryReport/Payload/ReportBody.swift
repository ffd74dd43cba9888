import FoundationEssentials

/// The payload schema version this code writes (docs/PAYLOAD.md).
public let currentPayloadSchema = 1

/// The request body: documented in docs/PAYLOAD.md.
public struct ReportBody: Codable, Equatable, Sendable {
    public struct Diagnostic: Codable, Equatable, Sendable {
        public var metric: String
        public var error: String

        public init(metric: String, error: String) {
            self.metric = metric
            self.error = error
        }
    }

    public var schema: Int
    public var installation: String
    public var productVersion: String
    public var metrics: [String: ReportValue]
    public var diagnostics: [Diagnostic]

    /// Compact JSON with sorted keys, then a newline: the same report always has the same bytes.
    public func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return [UInt8](try encoder.encode(self)) + [0x0a]
    }
}
