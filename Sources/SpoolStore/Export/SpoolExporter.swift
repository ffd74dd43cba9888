import FoundationEssentials
import SpoolFormat
import SpoolProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Copies an installation's entries out of the spool into a new batch folder with a signed
/// manifest (docs/FORMAT.md, "Batches"). Never changes the spool.
///
/// The batch is written under a temporary name (`.tmp-…`) in the destination: every file is
/// fsynced, read back and verified like the spool's own entry, the manifest and its signature are
/// written last, and only then is the folder renamed into place and the destination fsynced. The
/// export is recorded in the state directory after that. So an export killed at any moment
/// leaves either a complete batch or a `.tmp-` folder that batch verification names as incomplete.
public struct SpoolExporter {
    /// Which entries to export.
    public enum Selection: Equatable, Sendable {
        /// Entries after the last exported one (all of them before the first export).
        case sinceLast
        /// Every entry in the spool.
        case all
        /// Entries from this sequence on.
        case from(UInt64)
    }

    public struct Outcome: Sendable {
        /// The batch folder, or nil when there was nothing to export.
        public var batch: String?
        public var manifest: BatchManifest?
        /// Why nothing was exported, when nothing was.
        public var nothingToExport: String?
        /// Incomplete batches of earlier, interrupted exports that were removed from the destination.
        public var removedLeftovers: [String] = []
    }

    public let spool: String
    public let state: StateDirectory
    public let identity: StateDirectory.Identity
    public var limits = SpoolEntry.Limits()

    public init(spool: String, state: StateDirectory, identity: StateDirectory.Identity) {
        self.spool = spool
        self.state = state
        self.identity = identity
    }

    /// Exports the selected entries into a new batch folder under `destination`.
    ///
    /// - Throws: ``ExportError`` when the spool's entries do not verify, the selection is empty
    ///   in a way that needs the user's attention, or the destination cannot be written (the
    ///   incomplete batch is then removed, and nothing is recorded); ``SpoolLock/Busy`` while
    ///   another spooler changes the spool.
    public func export(to destination: String, selection: Selection, now: Date = Date()) throws -> Outcome {
        try state.checkOutside(spool: spool)
        guard FileSystem.isDirectory(destination) else { throw ExportError.noDestination(destination) }
        let spoolPath = FileSystem.canonicalPath(spool)
        let destinationPath = FileSystem.canonicalPath(destination)
        if destinationPath == spoolPath || destinationPath.hasPrefix(spoolPath + "/") {
            throw ExportError.destinationInsideSpool(destination: destination, spool: spool)
        }
        // Held while reading, so that no prune removes an entry between listing and copying.
        let lock = try SpoolLock(directory: spool)
        defer { withExtendedLifetime(lock) {} }

        let installation = identity.installation
        let record = try state.loadExportRecord(installation: installation)
        let chain = try state.loadChain(installation: installation)
        let listing = try SpoolListing(directory: spool)
        let present = listing.entries.filter { $0.installation == installation }
        let start: UInt64
        switch selection {
        case .all: start = 1
        case .sinceLast: start = (record?.lastSequence ?? 0) + 1
        case .from(let sequence):
            guard let first = present.first, let last = present.last, (first.sequence...last.sequence).contains(sequence) else {
                throw ExportError.notInSpool(sequence: sequence, held: present.first.map { "\($0.sequence)...\(present.last!.sequence)" })
            }
            start = sequence
        }
        let selected = present.filter { $0.sequence >= start }
        var outcome = Outcome()
        guard let last = selected.last else {
            if let record {
                outcome.nothingToExport =
                    "nothing to export: entries up to \(record.lastSequence) were exported in batch \(PrintableText.path(record.batch)) at \(record.exported), and the spool holds no newer entry"
            } else {
                outcome.nothingToExport = "nothing to export: the spool \(PrintableText.path(spool)) holds no entry of installation \(installation)"
            }
            return outcome
        }
        if last.sequence < chain.lastSequence {
            throw ExportError.spoolDamaged(
                file: EntryName(installation: installation, sequence: last.sequence + 1).entryFile,
                reason: "entries \(last.sequence + 1)...\(chain.lastSequence) are missing (the state directory records them as written)")
        }

        outcome.removedLeftovers = removeLeftovers(in: destination)
        let destinationDirectory = try DurableDirectory(path: destination)
        let temporaryName =
            DurableDirectory.temporaryPrefix + EntryName(installation: installation, sequence: selected[0].sequence).stem
            + "-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        let temporary = destinationDirectory.full(temporaryName)
        guard mkdir(temporary, 0o755) == 0 else {
            throw ExportError.media(destination: destination, FileSystemError(path: temporary, operation: "mkdir", errno: errno))
        }
        do {
            let manifest = try writeBatch(selected, into: temporary, destination: destinationDirectory, now: now)
            // A second export of the same range within the same second gets a numbered name.
            let batch =
                try (1...99).lazy.map { destinationDirectory.full(manifest.batchName + ($0 == 1 ? "" : "-\($0)")) }
                .first { !FileSystem.exists($0) } ?? { throw ExportError.batchExists(destinationDirectory.full(manifest.batchName)) }()
            guard rename(temporary, batch) == 0 else {
                throw ExportError.media(destination: destination, FileSystemError(path: batch, operation: "rename", errno: errno))
            }
            do {
                try destinationDirectory.sync()
            } catch let error as FileSystemError {
                throw ExportError.media(destination: destination, error)
            }
            try state.saveExportRecord(
                ExportRecord(
                    installation: installation, lastSequence: manifest.last, lastDigest: manifest.head,
                    batch: FileSystem.name(of: batch), exported: manifest.exported))
            outcome.batch = batch
            outcome.manifest = manifest
            return outcome
        } catch {
            // Nothing half-written stays behind when we can help it; what a crash leaves is a
            // `.tmp-` folder that verification names as incomplete.
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
    }

    /// Copies each entry into `folder`, reads it back, and writes the manifest and its signature last.
    private func writeBatch(_ names: [EntryName], into folder: String, destination: DurableDirectory, now: Date) throws -> BatchManifest {
        let directory = try DurableDirectory(path: folder)
        func write(_ bytes: [UInt8], as name: String) throws -> BatchManifest.File {
            do {
                try directory.publish(bytes, as: name)
                let copy = try FileSystem.read(directory.full(name), maxBytes: bytes.count)
                guard copy == bytes else { throw ExportError.readBack(file: directory.full(name), reason: "differs from what was written") }
                return BatchManifest.File(name: name, contents: copy)
            } catch let error as FileSystemError {
                throw ExportError.media(destination: destination.path, error)
            }
        }
        let signers = BatchManifest.allowedSignersLine(installation: identity.installation, key: identity.publicKey) + "\n"
        var files = [try write(Array(signers.utf8), as: BatchManifest.allowedSignersFileName)]
        var previous: (name: EntryName, digest: EntryDigest)?
        var firstPrevious = EntryDigest.genesis
        for name in names {
            let entryBytes = try readSpool(name.entryFile, maxBytes: limits.maxFileBytes)
            let signatureBytes = try readSpool(name.signatureFile, maxBytes: limits.maxSignatureBytes)
            let entry = try open(name, entryBytes, signatureBytes, file: spool + "/" + name.entryFile)
            if let previous {
                guard name.sequence == previous.name.sequence + 1 else {
                    throw ExportError.spoolDamaged(
                        file: name.entryFile, reason: "entries \(previous.name.sequence + 1)...\(name.sequence - 1) are missing before this entry")
                }
                guard entry.metadata.previous == previous.digest else {
                    throw ExportError.spoolDamaged(file: name.entryFile, reason: "does not link entry \(previous.name.sequence) (the chain is broken)")
                }
            } else {
                firstPrevious = entry.metadata.previous
            }
            let entryFile = try write(entryBytes, as: name.entryFile)
            let signatureFile = try write(signatureBytes, as: name.signatureFile)
            // The copy must be an entry in its own right, not only the same bytes.
            let copy = try open(
                name, try FileSystem.read(directory.full(name.entryFile), maxBytes: limits.maxFileBytes),
                try FileSystem.read(directory.full(name.signatureFile), maxBytes: limits.maxSignatureBytes),
                file: directory.full(name.entryFile))
            guard copy.digest == entry.digest else {
                throw ExportError.readBack(file: directory.full(name.entryFile), reason: "reads back as a different entry")
            }
            files += [entryFile, signatureFile]
            previous = (name, entry.digest)
        }
        let manifest = BatchManifest(
            installation: identity.installation, first: names[0].sequence, last: names[names.count - 1].sequence,
            previous: firstPrevious, head: previous!.digest, exported: now, files: files)
        let manifestBytes = manifest.encoded()
        let signature = try BatchManifest.sign(manifestBytes, key: identity.signingKey)
        _ = try write(manifestBytes, as: BatchManifest.fileName)
        _ = try write(Array(signature.armored.utf8), as: BatchManifest.signatureFileName)
        return manifest
    }

    private func readSpool(_ name: String, maxBytes: Int) throws -> [UInt8] {
        do {
            return try FileSystem.read(spool + "/" + name, maxBytes: maxBytes)
        } catch let error as FileSystemError {
            throw ExportError.spoolDamaged(file: name, reason: error.description)
        }
    }

    private func open(_ name: EntryName, _ compressed: [UInt8], _ signature: [UInt8], file: String) throws -> SpoolEntry {
        let entry: SpoolEntry
        do {
            entry = try SpoolEntry.open(compressed: compressed, signatureText: signature, trust: identity.trust, limits: limits)
        } catch {
            throw ExportError.entryInvalid(file: file, problem: error)
        }
        guard entry.name == name else { throw ExportError.entryInvalid(file: file, problem: .unreadable("holds entry \(entry.name.stem)")) }
        return entry
    }

    /// Removes this installation's `.tmp-` folders that interrupted exports left in `destination`.
    private func removeLeftovers(in destination: String) -> [String] {
        let prefix = DurableDirectory.temporaryPrefix + identity.installation + "-"
        var removed: [String] = []
        try? FileSystem.forEachName(in: destination) { name, _ in
            if name.hasPrefix(prefix), FileSystem.isDirectory(destination + "/" + name) { removed.append(name) }
        }
        return removed.sorted().filter { (try? FileManager.default.removeItem(atPath: destination + "/" + $0)) != nil }
    }
}
