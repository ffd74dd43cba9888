import FoundationEssentials

/// A JSON file of one installation in the state directory (the last export, the receipts
/// applied): read and written alike, 0600, and refused when it records another installation.
public protocol StateRecord: Codable {
    static var fileName: String { get }
    var installation: String { get }
}

extension StateDirectory {
    /// The record, nil when its file does not exist yet.
    public func loadRecord<Record: StateRecord>(_ type: Record.Type, installation: String) throws -> Record? {
        let path = file(Record.fileName)
        guard FileSystem.exists(path) else { return nil }
        let record: Record
        do {
            record = try JSONDecoder().decode(Record.self, from: Data(try FileSystem.read(path, maxBytes: 1 << 20)))
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

    /// Saves the record durably (write, fsync, rename).
    public func saveRecord<Record: StateRecord>(_ record: Record) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        try DurableDirectory(path: path).publish([UInt8](try encoder.encode(record)) + [0x0a], as: Record.fileName, permissions: 0o600, replace: true)
    }
}
