extension SpoolVerifier.Report {
    /// "N entries in K installation(s) (ID first...last, …)", the subject of verify summaries.
    public var entriesDescription: String {
        let ranges = installations.map { "\($0.installation) \($0.firstSequence)...\($0.lastSequence)" }
        return "\(entries) entr\(entries == 1 ? "y" : "ies") in \(installations.count) installation(s)"
            + (ranges.isEmpty ? "" : " (" + ranges.joined(separator: ", ") + ")")
    }
}
