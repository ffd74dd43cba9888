import Crypto
import FoundationEssentials
import SpoolFormat

/// A value refused by the privacy guard: the metric, the rule it broke, and what was wrong.
///
/// The message never repeats a refused string: it may be exactly what must not leak, and error
/// output ends up in logs.
public struct PrivacyViolation: Error, Equatable, Sendable, CustomStringConvertible {
    /// The metric key, or for a metadata field its name (``PrivacyGuard/checkMetadata(productVersion:contentType:)``).
    public var metric: String
    /// A stable rule name, e.g. `looks_like_hostname`, `negative`, `not_in_vocabulary`.
    public var rule: String
    public var detail: String
    /// What `metric` names: a metric of the catalog, or a field of the entry's metadata.
    public var subject = "metric"

    public var description: String {
        "\(subject) '\(metric)' refused by the privacy guard, rule \(rule): \(detail); nothing was written"
    }
}

/// Lets through only values of a metric's declared type; everything else is refused.
///
/// Numbers must be finite and in range, counts whole and non-negative, strings must come from the
/// declared vocabulary or match the declared shape exactly (hash, version, date, UUID). A string
/// that is refused is classified, so the rule names what it looks like: an e-mail address, a URI,
/// an IP address, a path, free text, a hostname or a name.
public enum PrivacyGuard {
    public static let maxStringLength = 64

    public static func check(_ value: JSONValue, as definition: MetricDefinition) throws(PrivacyViolation) -> ReportValue {
        let key = definition.key
        func refuse(_ rule: String, _ detail: String) -> PrivacyViolation { PrivacyViolation(metric: key, rule: rule, detail: detail) }

        switch definition.type {
        case .count:
            return .int(try whole(value, max: definition.maxCount, metric: key, what: "a count"))
        case .bytes:
            return .int(try whole(value, max: MetricType.Limits.maxBytes, metric: key, what: "a byte count"))
        case .countsByKind(let vocabulary):
            guard case .object(let object) = value else { throw refuse("wrong_type", "expected an object of kind → count, found \(describe(value))") }
            var counts: [String: Int64] = [:]
            for (kind, count) in object {
                guard vocabulary.contains(kind) else {
                    throw refuse(
                        classify(kind) ?? "unknown_kind",
                        "a kind (\(describe(.string(kind)))) is not one of the declared kinds (\(vocabulary.words.joined(separator: ", ")))")
                }
                counts[kind] = try whole(count, max: definition.maxCount, metric: key, what: "the count of kind '\(kind)'")
            }
            return .counts(counts)
        case .boolean:
            switch value {
            case .bool(let flag): return .bool(flag)
            case .integer(0): return .bool(false)
            case .integer(1): return .bool(true)
            default: throw refuse("wrong_type", "expected true or false (or 0 or 1), found \(describe(value))")
            }
        case .duration:
            let seconds = try finite(value, metric: key)
            guard seconds >= 0 else { throw refuse("negative", "a duration cannot be negative") }
            guard seconds <= MetricType.Limits.maxDurationSeconds else {
                throw refuse("out_of_range", "a duration above \(Int(MetricType.Limits.maxDurationSeconds)) seconds")
            }
            return seconds.rounded() == seconds && seconds < 1e15 ? .int(Int64(seconds)) : .double((seconds * 1000).rounded() / 1000)
        case .percent(let max):
            let percent = try finite(value, metric: key)
            guard percent >= 0 else { throw refuse("negative", "a percentage cannot be negative") }
            guard percent <= max else { throw refuse("out_of_range", "a percentage above \(Int(max))") }
            return .double((percent * 100).rounded() / 100)
        case .vocabulary(let vocabulary):
            let word = try string(value, metric: key)
            guard vocabulary.contains(word) else {
                throw refuse(classify(word) ?? "not_in_vocabulary", "\(describe(value)) is not one of \(vocabulary.words.joined(separator: ", "))")
            }
            return .string(word)
        case .hash(let algorithm, _):
            // The digest is computed here, from the raw value the spooler read: a ready-made
            // digest could carry anything in hex, and its form could not show it.
            guard case .string(let raw) = value else {
                throw refuse("wrong_type", "expected the raw value to digest (a string), found \(describe(value))")
            }
            guard (1...maxRawDigestInput).contains(raw.utf8.count) else {
                throw refuse("out_of_range", "the raw value to digest must hold 1 to \(maxRawDigestInput) bytes, found \(raw.utf8.count)")
            }
            return .string(digest(raw, algorithm: algorithm))
        case .version:
            let text = try string(value, metric: key)
            guard isVersion(text) else {
                throw refuse(classify(text) ?? "not_a_version", "expected a release number such as 12 or 2021.2.7, found \(describe(value))")
            }
            return .string(text)
        case .date:
            let text = try string(value, metric: key)
            guard let day = parseDay(text) else {
                throw refuse(classify(text) ?? "not_a_date", "expected a day as YYYY-MM-DD, found \(describe(value))")
            }
            guard day >= parseDay("2000-01-01")!, day <= Date().addingTimeInterval(86_400) else {
                throw refuse("out_of_range", "the day \(text) is before 2000 or in the future")
            }
            return .string(text)
        case .uuid:
            let text = try string(value, metric: key)
            guard UUID(uuidString: text) != nil, text == text.lowercased() else {
                throw refuse(classify(text) ?? "not_a_uuid", "expected a lowercase UUID, found \(describe(value))")
            }
            return .string(text)
        }
    }

    static func whole(_ value: JSONValue, max: Int64, metric: String, what: String) throws(PrivacyViolation) -> Int64 {
        func refuse(_ rule: String, _ detail: String) -> PrivacyViolation { PrivacyViolation(metric: metric, rule: rule, detail: detail) }
        switch value {
        case .integer(let number):
            guard number >= 0 else { throw refuse("negative", "\(what) cannot be negative") }
            guard number <= max else { throw refuse("out_of_range", "\(what) above \(max)") }
            return number
        case .number(let number):
            guard number.isFinite else { throw refuse("not_finite", "\(what) must be a finite number, found \(number)") }
            guard number >= 0 else { throw refuse("negative", "\(what) cannot be negative") }
            guard number <= Double(max) else { throw refuse("out_of_range", "\(what) above \(max)") }
            throw refuse("not_an_integer", "\(what) must be a whole number")
        default:
            throw refuse("wrong_type", "expected \(what), found \(describe(value))")
        }
    }

    static func finite(_ value: JSONValue, metric: String) throws(PrivacyViolation) -> Double {
        switch value {
        case .integer(let number): return Double(number)
        case .number(let number):
            guard number.isFinite else { throw PrivacyViolation(metric: metric, rule: "not_finite", detail: "expected a finite number, found \(number)") }
            return number
        default:
            throw PrivacyViolation(metric: metric, rule: "wrong_type", detail: "expected a number, found \(describe(value))")
        }
    }

    static func string(_ value: JSONValue, metric: String) throws(PrivacyViolation) -> String {
        guard case .string(let text) = value else {
            throw PrivacyViolation(metric: metric, rule: "wrong_type", detail: "expected a string, found \(describe(value))")
        }
        guard text.count <= maxStringLength else {
            throw PrivacyViolation(
                metric: metric, rule: classify(text) ?? "too_long", detail: "\(describe(value)) is longer than \(maxStringLength) characters")
        }
        return text
    }

    /// What a JSON value is, without its content.
    static func describe(_ value: JSONValue) -> String {
        switch value {
        case .string(let text): return "a string of \(text.count) character\(text.count == 1 ? "" : "s")"
        case .integer(let number): return "the number \(number)"
        case .number(let number): return "the number \(number)"
        default: return "a JSON \(value.typeName)"
        }
    }

    static func isVersion(_ text: String) -> Bool { TextRules.isReleaseVersion(text) }

    /// The longest raw value a digest is computed from (a license serial).
    public static let maxRawDigestInput = 1024

    static func digest(_ raw: String, algorithm: String) -> String {
        precondition(algorithm == "sha1", "the catalog declares only SHA-1 digests")
        return TextRules.lowercaseHex(Insecure.SHA1.hash(data: Array(raw.utf8)))
    }

    /// The only content types an entry's request may declare.
    public static let contentTypes: Set<String> = ["application/json"]

    /// Checks the metadata strings that leave the site with every entry, each by a rule of its
    /// own: the product version is a release number (``SpoolFormat/TextRules/isReleaseVersion(_:)``),
    /// the content type one of ``contentTypes``. The request path has its own rule where it is set.
    public static func checkMetadata(productVersion: String, contentType: String) throws(PrivacyViolation) {
        guard TextRules.isReleaseVersion(productVersion) else {
            throw PrivacyViolation(
                metric: "productVersion", rule: classify(productVersion) ?? "not_a_version",
                detail: "expected a release number such as 2021.2.7, found \(describe(.string(productVersion)))", subject: "metadata field")
        }
        guard contentTypes.contains(contentType) else {
            throw PrivacyViolation(
                metric: "request.contentType", rule: "not_allowed",
                detail: "expected one of \(contentTypes.sorted().joined(separator: ", ")), found \(describe(.string(contentType)))", subject: "metadata field")
        }
    }

    static func parseDay(_ text: String) -> Date? {
        guard text.wholeMatch(of: #/[0-9]{4}-[0-9]{2}-[0-9]{2}/#) != nil else { return nil }
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let parts = text.split(separator: "-").compactMap { Int($0) }
        let components = DateComponents(year: parts[0], month: parts[1], day: parts[2])
        guard components.isValidDate(in: calendar), let date = calendar.date(from: components) else { return nil }
        return date
    }

    /// The sensitive thing a refused string looks like, as a rule name; nil when it looks like none.
    public static func classify(_ text: String) -> String? {
        if text.wholeMatch(of: #/[^@\s]+@[^@\s]+\.[^@\s]+/#) != nil || text.contains("@") { return "looks_like_email" }
        if text.contains("://") || text.lowercased().hasPrefix("www.") || text.wholeMatch(of: #/(?i)(mailto|urn|file|data):.+/#) != nil {
            return "looks_like_uri"
        }
        if text.wholeMatch(of: #/[0-9]{1,3}(\.[0-9]{1,3}){3}(:[0-9]+)?(\/[0-9]+)?/#) != nil { return "looks_like_ip_address" }
        if text.wholeMatch(of: #/\[?[0-9A-Fa-f:]*:[0-9A-Fa-f:]*:[0-9A-Fa-f:.]*\]?/#) != nil { return "looks_like_ip_address" }
        if text.contains("/") || text.contains("\\") || text.hasPrefix("~") { return "looks_like_path" }
        if text.contains(where: { $0.isWhitespace }) { return "looks_like_free_text" }
        if text.wholeMatch(of: #/(?i)[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+/#) != nil,
            text.contains(where: { $0.isLetter })
        {
            return "looks_like_hostname"
        }
        if text.contains(#/\p{Lu}\p{Ll}+/#) || text.contains(where: { !$0.isASCII }) { return "looks_like_name" }
        return nil
    }
}
