import FoundationEssentials

/// How every `--json` flag prints: pretty, keys sorted, slashes as they are, so that the output
/// of one command diffs cleanly against another's.
public enum JSONOutput {
    public static func encode(_ value: some Encodable) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
