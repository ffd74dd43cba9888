import FoundationEssentials
import SpoolFormat
import SpoolProtocol
import SpoolStore

/// One scheduled (or manual) report: collect, check, spool, apply the spool limits, remember.
///
/// The caller holds a ``SpoolWriter``, and with it the spool lock, for as long as it spools.
public struct SpoolingJob {
    public let writer: SpoolWriter
    public let configuration: SpoolerConfiguration
    public var probe: HostProbe

    public init(writer: SpoolWriter, configuration: SpoolerConfiguration, probe: HostProbe = HostProbe()) {
        self.writer = writer
        self.configuration = configuration
        self.probe = probe
    }

    public struct Outcome {
        /// The new entry's `.json.gz`.
        public var path: String
        public var report: ReportBody
        /// Tombstones written because a spool limit was passed.
        public var tombstones: [TombstoneBody]
    }

    /// Collects a report and appends it as the next entry; then prunes to the spool limits and
    /// saves the report state (last report time, CPU sample).
    /// - Throws: ``PrivacyViolation`` (nothing is written), or a spool write error.
    public func spoolOnce(now: Date = Date()) throws -> Outcome {
        let state = writer.state
        let previous = ReportState.load(from: state)
        let collected = try ReportCollector(configuration: configuration, probe: probe, previous: previous, now: now)
            .collect(installation: writer.identity.installation)
        let request = collected.request
        let (_, path) = try writer.append(
            kind: .report, body: collected.body, productVersion: collected.productVersion,
            schema: collected.schema, request: request, now: now)
        try collected.nextState.save(to: state)
        let exported = try state.loadExportRecord(installation: writer.identity.installation)?.lastSequence ?? 0
        let limits = SpoolLimits(
            maxBytes: configuration.maxSpoolBytes, maxAge: configuration.maxSpoolAge,
            maxUnackedAge: configuration.maxUnackedAge, exportedThrough: exported)
        let tombstones = try writer.prune(limits: limits, productVersion: configuration.productVersion, request: request, now: now)
        return Outcome(path: path, report: collected.report, tombstones: tombstones)
    }

    /// When this installation last spooled a report: the newer of the saved report state and the
    /// creation time of the newest entry still in the spool; nil when it never did.
    public func lastReportTime() -> Date? {
        let saved = ReportState.load(from: writer.state).lastReportAt.map { Date(timeIntervalSince1970: $0) }
        var newest: Date?
        let sequence = writer.chain.lastSequence
        if sequence > 0 {
            newest = writer.creationDate(of: EntryName(installation: writer.identity.installation, sequence: sequence))
        }
        return [saved, newest].compactMap { $0 }.max()
    }
}
