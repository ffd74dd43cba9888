import Foundation
import Hummingbird
import NIOCore
import Testing

@testable import ReceiverServer

/// The export's query and line format (the streaming itself is tested on a real receiver).
@Suite("NDJSON export")
struct ReportExportTests {
    @Test(arguments: [
        ("1795680000", 1_795_680_000.0), ("1795680000.5", 1_795_680_000.5), ("2026-11-26T08:00:00Z", 1_795_680_000.0),
        ("2026-11-26T10:00:00+02:00", 1_795_680_000.0), ("2026-11-26T08:00:00.250Z", 1_795_680_000.25),
    ])
    func sinceIsRFC3339OrSeconds(text: String, seconds: Double) {
        #expect(ReportExport.Query.time(text) == seconds)
    }

    @Test(arguments: ["", "yesterday", "-1", "1e9", "nan", "inf", "2026-11-26", "2026-11-26 05:20:00Z", "0x10"])
    func badTimesAreRefused(text: String) {
        #expect(ReportExport.Query.time(text) == nil)
    }

    @Test
    func aBodyThatIsJSONIsEmbeddedAndOtherBodiesAreBase64() throws {
        func line(_ body: String) throws -> [String: Any] {
            var buffer = ByteBuffer()
            ReportExport.line(
                StoredReport(
                    id: 7, digest: "d", installation: "i", sequence: 3, kind: "report", productVersion: "1.2", created: "c", receivedAt: 1.5,
                    duplicates: 2, body: Array(body.utf8)), into: &buffer)
            let text = String(buffer: buffer)
            #expect(text.hasSuffix("}\n") && text.dropLast().contains("\n") == false)
            return try #require(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        }
        let json = try line("{\"a\":\n[1,\r\n2.5]}\n")
        #expect((json["body"] as? [String: Any])?["a"] as? [Double] == [1, 2.5])
        #expect(json["id"] as? Int == 7 && json["sequence"] as? Int == 3 && json["duplicates"] as? Int == 2)
        #expect(json["bodyBase64"] == nil)
        let text = try line("not json")
        #expect(text["body"] == nil && text["bodyBase64"] as? String == "bm90IGpzb24=")
    }
}
