import ArgumentParser
import CommandLineSupport
import Foundation
import SpoolFormat
import SpoolStore
import TelemetryReport

extension SpoolerCommand {
    struct Preview: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print exactly the body that collect would spool now. Writes nothing.",
            discussion: "Works when reporting is off too (it says so on stderr). A value refused by the privacy guard is an error here as in collect.")

        @OptionGroup var options: SpoolOptions

        @Flag(help: "Print the body's exact bytes (compact JSON), for scripts.")
        var json = false

        func run() throws {
            let configuration = try options.loadConfiguration()
            if !configuration.reporting {
                Console.error("reporting is off: collect would spool nothing; this is what it would send if reporting were on")
            }
            let state = options.stateDirectory
            let installation: String
            if let identity = try? state.loadPublicIdentity() {
                installation = identity.installation
            } else {
                installation = "00000000-0000-0000-0000-000000000000"
                Console.error("no installation ID in \(PrintableText.path(state.path)) yet: collect creates one; shown here as all zeros")
            }
            let report: CollectedReport
            do {
                report = try ReportCollector(configuration: configuration, previous: ReportState.load(from: state))
                    .collect(installation: installation)
            } catch let violation as PrivacyViolation {
                Console.error("error: \(violation)")
                throw ExitCode(ExitStatus.problems)
            }
            if json {
                try FileHandle.standardOutput.write(contentsOf: Data(report.body))
            } else {
                print(try PrettyJSON.format(report.body))
            }
        }
    }
}

enum PrettyJSON {
    static func format(_ bytes: [UInt8]) throws -> String {
        let object = try JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
        let data = try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes, .fragmentsAllowed])
        return String(decoding: data, as: UTF8.self)
    }
}
