import Foundation
import TestSupport
import Testing

/// The README's end-to-end quickstart runs as written, and the `/summary` JSON the docs show has
/// the shape a real receiver answers with: the same keys, nested the same way, with values of
/// the same JSON types.
@Suite("README quickstart and the documented /summary", .serialized)
struct QuickstartTests {
    /// The fenced block after `marker` in `file` (the first block when `marker` is nil) whose
    /// opening fence is `fence`.
    static func block(in file: String, after marker: String, fence: String) throws -> String {
        let text = try String(contentsOfFile: repositoryRoot + "/" + file, encoding: .utf8)
        let start = try #require(text.range(of: marker), "\(file) has no \(marker)")
        let opening = try #require(text.range(of: fence + "\n", range: start.upperBound..<text.endIndex), "\(file): no \(fence) block after \(marker)")
        let closing = try #require(text.range(of: "\n```", range: opening.upperBound..<text.endIndex))
        return String(text[opening.upperBound..<closing.lowerBound])
    }

    /// A JSON value's shape: objects by key, arrays by their first element, scalars by type.
    /// `requests.byStatus` is keyed by status codes, which differ between examples: only its
    /// values count.
    indirect enum Shape: Equatable, CustomStringConvertible {
        case object([String: Shape])
        case map(Shape?)
        case array(Shape?)
        case number, string, null

        init(_ value: Any, path: String = "") {
            switch value {
            case let object as [String: Any] where path == ".requests.byStatus":
                self = .map(object.values.first.map { Shape($0, path: path + ".*") })
            case let object as [String: Any]:
                var fields: [String: Shape] = [:]
                for (key, field) in object { fields[key] = Shape(field, path: path + "." + key) }
                self = .object(fields)
            case let array as [Any]:
                self = .array(array.first.map { Shape($0, path: path + "[]") })
            case is String: self = .string
            case is NSNull: self = .null
            // Numbers (the summary holds no booleans; JSONSerialization boxes both alike).
            default: self = .number
            }
        }

        /// Equal shapes, where an empty array or map matches any element shape.
        func matches(_ other: Shape) -> Bool {
            switch (self, other) {
            case (.object(let a), .object(let b)):
                return Set(a.keys) == Set(b.keys) && a.allSatisfy { b[$0.key].map($0.value.matches) ?? false }
            case (.array(let a), .array(let b)), (.map(let a), .map(let b)):
                guard let a, let b else { return true }
                return a.matches(b)
            default:
                return self == other
            }
        }

        var description: String {
            switch self {
            case .object(let fields): return "{" + fields.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") + "}"
            case .map(let value): return "{*: \(value.map(\.description) ?? "?")}"
            case .array(let element): return "[\(element.map(\.description) ?? "?")]"
            case .number: return "number"
            case .string: return "string"
            case .null: return "null"
            }
        }
    }

    static func shape(_ json: String) throws -> Shape {
        Shape(try JSONSerialization.jsonObject(with: Data(json.utf8)))
    }

    @Test("the README's quickstart runs as pasted: receiver, collect, trust, upload, /summary, stop", .timeLimit(.minutes(2)))
    func quickstart() throws {
        let script = try Self.block(in: "README.md", after: "<!-- quickstart -->", fence: "```sh")
        let products = URL(fileURLWithPath: Command.product("spooler")).deletingLastPathComponent().path
        let home = try TemporaryDirectory("quickstart")
        // At the repository top, as the README says (the demo configuration), with the built
        // commands first in PATH; timeout(1) bounds the wait for a receiver that never starts.
        let result = try Command.run(
            "timeout", ["100", "/bin/bash", "-euo", "pipefail", "-c", script], in: repositoryRoot,
            environment: ["PATH": products + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"), "HOME": home.path, "TMPDIR": home.path])
        try #require(result.status == 0, "\(result.stdout)\(result.stderr)")
        #expect(result.stdout.contains("1 delivered"), "\(result.stdout)")
        let summary = try #require(result.lines.first { $0.hasPrefix("{") }, "\(result.stdout)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(summary.utf8)) as? [String: Any])
        #expect(object["installations"] as? Int == 1)
        #expect(object["reports"] as? Int == 1)
        #expect(result.stderr.contains("configuration: spooler.conf (in the working directory)"), "\(result.stderr)")

        // The output the README shows, and the examples of PROTOCOL.md and UPLOAD.md, have the
        // shape of this real one.
        let real = try Self.shape(summary)
        let shown = try Self.block(in: "README.md", after: "<!-- quickstart -->", fence: "```console")
        let examples = [
            ("README.md", String(try #require(shown.split(separator: "\n").first { $0.hasPrefix("{") }, "\(shown)"))),
            ("docs/PROTOCOL.md", try Self.block(in: "docs/PROTOCOL.md", after: "## 5. `GET /summary`", fence: "```json")),
            ("docs/UPLOAD.md", try Self.block(in: "docs/UPLOAD.md", after: "http://127.0.0.1:8443/summary", fence: "")),
        ]
        for (file, example) in examples {
            let documented = try Self.shape(example)
            #expect(documented.matches(real), "\(file): \(documented)\nreal: \(real)")
        }
    }

    @Test("a shape that lacks a key, or nests it differently, does not match", .timeLimit(.minutes(1)))
    func shapesDiffer() throws {
        let real = try Self.shape(#"{"a":1,"b":[{"c":"x"}],"requests":{"byStatus":{"201":1}}}"#)
        let same = try Self.shape(#"{"a":2,"b":[],"requests":{"byStatus":{"200":4}}}"#)
        let lacking = try Self.shape(#"{"a":2,"b":[{"c":"x"}]}"#)
        let typed = try Self.shape(#"{"a":"2","b":[{"c":"x"}],"requests":{"byStatus":{}}}"#)
        let nested = try Self.shape(#"{"a":2,"b":[{"c":1}],"requests":{"byStatus":{}}}"#)
        #expect(same.matches(real))
        #expect(!lacking.matches(real))
        #expect(!typed.matches(real))
        #expect(!nested.matches(real))
    }
}
