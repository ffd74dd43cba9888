import Foundation
import Testing

@testable import TelemetryReport

@Suite("Privacy guard")
struct PrivacyGuardTests {
    func check(_ key: String, _ value: JSONValue) throws(PrivacyViolation) -> ReportValue {
        try PrivacyGuard.check(value, as: MetricCatalog.definition(key)!)
    }

    @Test(
        "values of the declared types pass",
        arguments: [
            ("environments", JSONValue.integer(5), ReportValue.int(5)),
            ("environments", .integer(0), .int(0)),
            ("server.memory_bytes", .integer(2_416_640), .int(2_416_640)),
            ("machines.by_kind", .object(["ssh": .integer(3), "kubernetes": .integer(0)]), .counts(["ssh": 3, "kubernetes": 0])),
            ("lets_encrypt.enabled", .bool(true), .bool(true)),
            ("guest_account.enabled", .integer(0), .bool(false)),
            // The guard computes the digest from the raw serial (as `printf %s SERIAL | sha1sum` does).
            ("license.serial_sha1", .string("demo-0000-1111-2222-3333"), .string("f158662b9fe81df01296db23b1e63e0a3c16977a")),
            ("environments", .integer(100_000), .int(100_000)),
            ("calls.api.by_result", .object(["success": .integer(250_000_000)]), .counts(["success": 250_000_000])),
            ("time_to_first_deployment", .integer(183_600), .int(183_600)),
            ("calls.api.mean_duration", .number(0.08712), .double(0.087)),
            ("metadata.last_event_date", .string("2024-02-29"), .string("2024-02-29")),
            ("server.cpu_percent", .number(153.456), .double(153.46)),
            ("host.os.name", .string("debian"), .string("debian")),
            ("host.os.version", .string("22.04"), .string("22.04")),
            ("host.os.version", .string("2021.2.7-rc1"), .string("2021.2.7-rc1")),
        ])
    func accepted(key: String, value: JSONValue, expected: ReportValue) throws {
        #expect(try check(key, value) == expected)
    }

    /// Each hostile value is refused with the rule that names what is wrong with it.
    @Test(
        "hostile and malformed values are refused, naming the rule",
        arguments: [
            ("environments", JSONValue.integer(-1), "negative"),
            ("environments", .number(-0.5), "negative"),
            ("environments", .number(.nan), "not_finite"),
            ("environments", .number(.infinity), "not_finite"),
            ("environments", .number(-.infinity), "not_finite"),
            ("environments", .number(1e30), "out_of_range"),
            ("environments", .integer(Int64.max), "out_of_range"),
            ("environments", .number(3.5), "not_an_integer"),
            ("environments", .string("12"), "wrong_type"),
            ("environments", .bool(true), "wrong_type"),
            ("environments", .null, "wrong_type"),
            ("environments", .array([.integer(1)]), "wrong_type"),
            ("server.memory_bytes", .integer(1 << 60), "out_of_range"),
            ("machines.by_kind", .object(["teleporter": .integer(1)]), "unknown_kind"),
            ("machines.by_kind", .object(["build01.corp.example.com": .integer(1)]), "looks_like_hostname"),
            ("machines.by_kind", .object(["Finance Web Farm": .integer(1)]), "looks_like_free_text"),
            ("machines.by_kind", .object(["ssh": .integer(-2)]), "negative"),
            ("machines.by_kind", .object(["ssh": .number(.nan)]), "not_finite"),
            ("machines.by_kind", .integer(4), "wrong_type"),
            ("host.os.name", .string("Alice"), "looks_like_name"),
            ("host.os.name", .string("alice@example.com"), "looks_like_email"),
            ("host.os.name", .string("https://intranet.example.com/x"), "looks_like_uri"),
            ("host.os.name", .string("10.20.30.40"), "looks_like_ip_address"),
            ("host.os.name", .string("fe80::1ff:fe23:4567:890a"), "looks_like_ip_address"),
            ("host.os.name", .string("/home/alice/secrets"), "looks_like_path"),
            ("host.os.name", .string("C:\\Users\\alice"), "looks_like_path"),
            ("host.os.name", .string("the quick brown fox"), "looks_like_free_text"),
            ("host.os.name", .string("db-prod-01.corp.example"), "looks_like_hostname"),
            ("host.os.name", .string("solaris"), "not_in_vocabulary"),
            ("host.os.name", .string(String(repeating: "a", count: 65)), "too_long"),
            ("host.os.version", .string("10.0.0.1"), "looks_like_ip_address"),
            ("host.os.version", .string("12 (bookworm)"), "looks_like_free_text"),
            ("host.os.version", .string("12-custom"), "not_a_version"),
            ("license.serial_sha1", .integer(1234), "wrong_type"),
            ("license.serial_sha1", .string(""), "out_of_range"),
            ("license.serial_sha1", .string(String(repeating: "a", count: 1025)), "out_of_range"),
            // Counts above the metric's plausible bound: an IPv4 address (192.168.1.1) as a number.
            ("environments", .integer(3_232_235_777), "out_of_range"),
            ("environments", .integer(100_001), "out_of_range"),
            ("users", .integer(167_772_161), "out_of_range"),
            ("machines.by_kind", .object(["ssh": .integer(3_232_235_777)]), "out_of_range"),
            ("calls.api.by_result", .object(["success": .integer(3_232_235_777)]), "out_of_range"),
            ("host.os.version", .string("db01.corp.example"), "looks_like_hostname"),
            ("host.os.version", .string("1.2.3.4"), "looks_like_ip_address"),
            ("host.os.version", .string("1..2"), "not_a_version"),
            ("host.os.version", .string("12-rc1234"), "not_a_version"),
            ("host.os.name", .string("ProdServer"), "looks_like_name"),
            ("host.os.name", .string("müller"), "looks_like_name"),
            ("metadata.last_event_date", .string("2026-13-01"), "not_a_date"),
            ("metadata.last_event_date", .string("1999-12-31"), "out_of_range"),
            ("metadata.last_event_date", .string("2999-01-01"), "out_of_range"),
            ("metadata.last_event_date", .string("2026-11-25T10:00:00Z"), "not_a_date"),
            ("server.cpu_percent", .number(-1), "negative"),
            ("server.cpu_percent", .number(1e9), "out_of_range"),
            ("time_to_first_deployment", .number(.infinity), "not_finite"),
            ("time_to_first_deployment", .integer(-60), "negative"),
            ("time_to_first_deployment", .number(1e12), "out_of_range"),
            ("lets_encrypt.enabled", .integer(2), "wrong_type"),
            ("lets_encrypt.enabled", .string("yes"), "wrong_type"),
        ])
    func refused(key: String, value: JSONValue, rule: String) {
        let violation = #expect(throws: PrivacyViolation.self) { try check(key, value) }
        #expect(violation?.rule == rule)
        #expect(violation?.metric == key)
    }

    @Test("a digest is never taken ready-made: 40 hex digits from a source are digested like any serial")
    func digestNeverReadyMade() throws {
        let readyMade = String(repeating: "ab", count: 20)
        let reported = try check("license.serial_sha1", .string(readyMade))
        #expect(reported != .string(readyMade))
        #expect(reported == .string(PrivacyGuard.digest(readyMade, algorithm: "sha1")))
    }

    @Test("every count has a bound of its own, at most the global one, documented in docs/PAYLOAD.md")
    func countBounds() throws {
        let payload = try String(contentsOfFile: #filePath.components(separatedBy: "/Tests/")[0] + "/docs/PAYLOAD.md", encoding: .utf8)
        for definition in MetricCatalog.all {
            switch definition.type {
            case .count, .countsByKind:
                #expect(
                    definition.maxCount < 16_777_216 || definition.key.hasPrefix("calls.") || definition.key.hasPrefix("events."),
                    "\(definition.key): entity counts stay below the smallest routable IPv4 address as a number")
                #expect(definition.maxCount <= MetricType.Limits.maxCount)
                var digits = String(definition.maxCount)
                var bound = ""
                while digits.count > 3 {
                    bound = "," + digits.suffix(3) + bound
                    digits.removeLast(3)
                }
                bound = digits + bound
                let row = payload.split(separator: "\n").first { $0.hasPrefix("| `\(definition.key)` |") }
                #expect(row?.contains(" \(bound) ") == true, "\(definition.key): bound \(bound) in the PAYLOAD.md catalog table")
            default:
                continue
            }
        }
    }

    @Test("metadata that leaves the site is guarded too: product version and content type")
    func metadata() throws {
        try PrivacyGuard.checkMetadata(productVersion: "2021.2.7", contentType: "application/json")
        try PrivacyGuard.checkMetadata(productVersion: "3.0.0-rc2", contentType: "application/json")
        let host = #expect(throws: PrivacyViolation.self) {
            try PrivacyGuard.checkMetadata(productVersion: "db01.corp.example", contentType: "application/json")
        }
        #expect(host?.rule == "looks_like_hostname")
        #expect(host?.description.contains("metadata field 'productVersion'") == true)
        #expect(host?.description.contains("corp") == false)
        let type = #expect(throws: PrivacyViolation.self) {
            try PrivacyGuard.checkMetadata(productVersion: "1.0", contentType: "text/plain; alice@corp.example")
        }
        #expect(type?.rule == "not_allowed")
        #expect(type?.description.contains("alice") == false)
    }

    @Test("a refusal never repeats the refused string")
    func messageHidesValue() {
        let violation = #expect(throws: PrivacyViolation.self) { try check("host.os.name", .string("alice@example.com")) }
        #expect(violation?.description.contains("alice") == false)
        #expect(violation?.description.contains("host.os.name") == true)
        #expect(violation?.description.contains("looks_like_email") == true)
    }
}

@Suite("Bounded JSON")
struct BoundedJSONTests {
    @Test("integers stay exact; fractions, exponents and huge integers are numbers")
    func numbers() throws {
        #expect(try BoundedJSON().parse(Array("9007199254740993".utf8)) == .integer(9_007_199_254_740_993))
        #expect(try BoundedJSON().parse(Array("3.0".utf8)) == .number(3))
        #expect(try BoundedJSON().parse(Array("1e400".utf8)) == .number(.infinity))
        #expect(try BoundedJSON().parse(Array("99999999999999999999".utf8)) == .number(1e20))
    }

    @Test("a byte-order mark and CRLF line ends around a value are read as the value")
    func windowsText() throws {
        let text = Array("\u{FEFF}{\r\n  \"count\": 5\r\n}\r\n".utf8)
        #expect(try BoundedJSON().parse(text) == .object(["count": .integer(5)]))
        #expect(throws: JSONReadError.invalid) { try BoundedJSON().parse(Array("{\"a\":1}\u{FEFF}".utf8)) }
    }

    @Test(
        "refused texts",
        arguments: [
            ("NaN", JSONReadError.invalid), ("Infinity", .invalid), ("{\"a\":1,\"a\":2}", .invalid), ("[1,]", .invalid),
            ("1 2", .invalid), ("01", .invalid), ("\"\u{01}\"", .invalid), ("", .invalid), ("{\"a\":1} x", .invalid),
            ("nested 9 deep", .tooDeep), ("100 KB of brackets", .tooLarge), ("5000 elements", .tooLarge),
        ])
    func refused(text: String, error: JSONReadError) {
        let generated: [String: String] = [
            "nested 9 deep": String(repeating: "[", count: 9) + String(repeating: "]", count: 9),
            "100 KB of brackets": String(repeating: "[", count: 100_000),
            "5000 elements": "[" + Array(repeating: "1", count: 5000).joined(separator: ",") + "]",
        ]
        #expect(throws: error) { try BoundedJSON().parse(Array((generated[text] ?? text).utf8)) }
    }
}
