import ArgumentParser
import CommandLineSupport
import FoundationEssentials
import SpoolFormat
import SpoolStore
import TelemetryReport

extension SpoolerCommand {
    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "preview",
            abstract: "Print exactly the two lines an entry collected now would hold. Writes nothing.",
            discussion: """
                Prints what 'zcat ENTRY.json.gz' shows for the entry collect would write now: the metadata \
                line, then the body. Only collect fixes the sequence, creation time and previous digest, shown \
                as "<sequence>", "<created>" and "<previous>" (and the installation and key, before the first \
                collect). Works when reporting is off too (it says so on stderr). A value refused by the privacy \
                guard is an error here as in collect.
                """)

        @OptionGroup var options: SpoolOptions

        @Flag(help: "Print only the body's exact bytes (compact JSON), for scripts.")
        var json = false

        @Flag(help: "Print only the body, indented for reading.")
        var pretty = false

        func validate() throws {
            guard !(json && pretty) else { throw ValidationError("give --json or --pretty, not both") }
        }

        func run() throws {
            let configuration = try options.loadConfiguration()
            Console.error(configuration.location.description)
            if !configuration.reporting {
                Console.error("reporting is off: collect would spool nothing; this is what it would send if reporting were on")
            }
            let state = options.stateDirectory
            let identity = try? state.loadPublicIdentity()
            if identity == nil {
                Console.error(
                    "no installation ID in \(PrintableText.path(state.path)) yet: collect creates it and the signing key (the body shows it as all zeros)")
            }
            let installation = identity?.installation ?? "00000000-0000-0000-0000-000000000000"
            let report: CollectedReport
            do {
                report = try ReportCollector(configuration: configuration, previous: ReportState.load(from: state))
                    .collect(installation: installation)
            } catch let violation as PrivacyViolation {
                Console.error("error: \(violation)")
                throw ExitCode(ExitStatus.problems)
            }
            if json {
                try StandardStream.output.write(report.body)
            } else if pretty {
                print(try PrettyJSON.format(report.body))
            } else {
                // The metadata as the writer would make it; the placeholders replace what only it fixes.
                let metadata = EntryMetadata(
                    kind: .report, installation: installation, sequence: 1, created: Date(),
                    productVersion: report.productVersion, schema: report.schema, previous: .genesis,
                    key: identity?.key.fingerprint ?? "", request: report.request, body: report.body)
                let line = try metadata.previewLine(identityKnown: identity != nil)
                try StandardStream.output.write(Array((line + "\n").utf8) + report.body)
                let placeholders = ["<sequence>", "<created>", "<previous>"] + (identity == nil ? ["<installation>", "<key>"] : [])
                Console.error(
                    "the two lines 'zcat' will show for the entry collect would write now; collect fills in "
                        + placeholders.dropLast().joined(separator: ", ") + " and " + placeholders.last!)
            }
        }
    }
}

enum PrettyJSON {
    /// Indented, keys sorted, slashes as they are. Read with the collector's strict reader (limits
    /// set by the text itself) and written by JSONEncoder: FoundationEssentials has no JSONSerialization.
    static func format(_ bytes: [UInt8]) throws -> String {
        let value = try BoundedJSON(maxBytes: bytes.count, maxDepth: 512, maxElements: Int.max).parse(bytes)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }
}
