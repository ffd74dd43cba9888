import Foundation
import Logging
import SpoolFormat
import SpoolStore

/// A spool and a state directory in a fresh temporary folder, removed at the end.
final class SpoolFixture {
    let root: String
    let spool: String
    let state: StateDirectory
    let identity: StateDirectory.Identity

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("spool-test-\(UUID().uuidString)").path
        spool = root + "/Spool"
        try FileManager.default.createDirectory(atPath: spool, withIntermediateDirectories: true)
        state = StateDirectory(path: root + "/state")
        identity = try state.createIdentity()
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    func writer() throws -> SpoolWriter {
        try SpoolWriter(spool: spool, state: state, identity: identity, logger: Logger(label: "test"))
    }

    /// Appends `count` report entries; returns their names.
    @discardableResult
    func append(_ count: Int) throws -> [EntryName] {
        let writer = try writer()
        return try (0..<count).map { index in
            try writer.append(body: Array(#"{"n":\#(index)}"#.utf8) + [0x0a], productVersion: "2024.1.0", schema: 1).entry.name
        }
    }

    func name(_ sequence: UInt64) -> EntryName { EntryName(installation: identity.installation, sequence: sequence) }

    func path(_ file: String) -> String { spool + "/" + file }

    func verify(trust: (any SignerTrust)? = nil, withState: Bool = true) throws -> SpoolVerifier.Report {
        let expected = withState ? [try state.loadChain(installation: identity.installation)] : []
        return try SpoolVerifier(trust: trust ?? identity.trust, expected: expected).verify(directory: spool)
    }

    func files() throws -> [String: Data] {
        var result: [String: Data] = [:]
        for name in try FileManager.default.contentsOfDirectory(atPath: spool) {
            result[name] = FileManager.default.contents(atPath: path(name))
        }
        return result
    }
}

extension SpoolVerifier.Report {
    var codes: [String] { problems.map(\.code.rawValue) }
}
