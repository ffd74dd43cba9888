import ArgumentParser
import SpoolFormat
import SpoolStore
import TelemetryReport

extension SpoolerCommand {
    struct Collect: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Collect a report and write it to the spool as one signed entry.",
            discussion: "Prints the path of the new .json.gz as the last line of stdout. On a fresh state directory it first creates the installation ID and signing key.")

        @OptionGroup var options: SpoolOptions

        func run() throws {
            let configuration = try options.loadConfiguration()
            guard configuration.reporting else {
                print("reporting is off (\(configuration.source.map { "reporting = off in \($0)" } ?? "SPOOLER_REPORTING=off")): nothing spooled")
                return
            }
            let state = options.stateDirectory
            try FileSystem.makeDirectory(options.spool, permissions: 0o755)
            let (identity, created) = try state.loadOrCreateIdentity()
            if created {
                Console.error("created installation \(identity.installation) and its signing key in \(state.path)")
            }
            let writer = try SpoolWriter(spool: options.spool, state: state, identity: identity, logger: Console.logger)
            for action in writer.recovered { Console.error("recovered: \(action)") }
            let report = try ReportCollector(configuration: configuration).collect(installation: identity.installation)
            let (_, path) = try writer.append(
                body: report.body, productVersion: report.productVersion, schema: report.schema,
                request: ReplayRequest(path: report.requestPath))
            print(path)
        }
    }
}
