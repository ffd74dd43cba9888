import SpoolFormat

#if canImport(Glibc)
    import Glibc
#endif

/// What a spool directory holds, sorted into entries, crash leftovers and everything else.
public struct SpoolListing: Sendable {
    /// Files a spool directory may hold besides entries.
    public static let knownFiles: Set<String> = ["README.md", SpoolLock.fileName]

    /// Complete entries (both files present), sorted by installation, then sequence.
    public var entries: [EntryName] = []
    /// `.json.gz` files without their `.sig`: an interrupted write (the `.sig` commits an entry).
    public var incomplete: [EntryName] = []
    /// `.sig` files without their `.json.gz`: a deleted entry.
    public var orphanSignatures: [EntryName] = []
    /// Temporary files of an interrupted write.
    public var temporaries: [String] = []
    /// Anything else: unknown names, directories, symlinks.
    public var strays: [String] = []

    public init(directory: String) throws {
        // Each installation's files as sequence numbers, doubled, plus one for a `.sig`, sorted
        // afterwards to pair an entry's two files: 8 bytes per file while listing (a table keyed
        // by name took 65 bytes, two thirds of what `spooler verify` needs for 100,000 entries),
        // and one shared string per installation.
        var files: [String: [UInt64]] = [:]
        var installations: [String: String] = [:]
        try FileSystem.forEachName(in: directory) { name, isRegularFile in
            if Self.knownFiles.contains(name) { return }
            if name.hasPrefix(DurableDirectory.temporaryPrefix) {
                temporaries.append(name)
                return
            }
            guard isRegularFile, let parsed = EntryName(fileName: name) else {
                strays.append(name)
                return
            }
            let installation = installations[parsed.installation] ?? parsed.installation
            installations[installation] = installation
            files[installation, default: []].append(parsed.sequence << 1 | (name.hasSuffix(EntryName.signatureSuffix) ? 1 : 0))
        }
        entries.reserveCapacity(files.values.reduce(0) { $0 + $1.count } / 2)
        for installation in Array(files.keys) {
            // Taken out of the table, so that it is sorted in place and freed once paired.
            var sorted = files.removeValue(forKey: installation) ?? []
            sorted.sort()
            var index = 0
            while index < sorted.count {
                let sequence = sorted[index] >> 1
                var hasEntryFile = false
                var hasSignature = false
                while index < sorted.count, sorted[index] >> 1 == sequence {
                    if sorted[index] & 1 == 1 { hasSignature = true } else { hasEntryFile = true }
                    index += 1
                }
                let entry = EntryName(installation: installation, sequence: sequence)
                switch (hasEntryFile, hasSignature) {
                case (true, true): entries.append(entry)
                case (true, false): incomplete.append(entry)
                default: orphanSignatures.append(entry)
                }
            }
        }
        entries.sort()
        incomplete.sort()
        orphanSignatures.sort()
        temporaries.sort()
        strays.sort()
    }
}
