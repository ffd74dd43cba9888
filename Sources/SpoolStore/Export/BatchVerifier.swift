import FoundationEssentials
import SpoolFormat
import SpoolProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// Checks an exported batch folder on its own, without the state directory that made it:
/// completeness, the manifest and its signature, each file's SHA-256, missing and extra files,
/// entries beyond the manifest's last, every entry's signature and the chain between them.
/// Never changes the batch.
public struct BatchVerifier: Sendable {
    public struct Report: Sendable, Codable {
        /// The batch folder as given.
        public var batch: String
        /// From the manifest, when it could be read.
        public var installation: String?
        public var first: UInt64?
        public var last: UInt64?
        public var previous: EntryDigest?
        public var head: EntryDigest?
        public var exported: String?
        /// Entries that passed every check.
        public var validEntries = 0
        public var problems: [SpoolProblem] = []

        public var isClean: Bool { problems.isEmpty }
        /// True when the batch is a leftover of an interrupted export.
        public var isIncomplete: Bool { problems.contains { $0.code == BatchVerifier.incomplete } }

        init(batch: String) { self.batch = batch }
    }

    /// The problem code of a batch an export did not finish.
    public static let incomplete = ProblemCode.batchIncomplete

    public var trust: any SignerTrust
    public var limits: SpoolEntry.Limits

    public init(trust: any SignerTrust, limits: SpoolEntry.Limits = .init()) {
        self.trust = trust
        self.limits = limits
    }

    /// True when `path` looks like a batch folder rather than a folder of batches.
    public static func isBatch(_ path: String) -> Bool {
        FileSystem.name(of: path).hasPrefix(DurableDirectory.temporaryPrefix)
            || FileSystem.exists(path + "/" + BatchManifest.fileName) || FileSystem.exists(path + "/" + BatchManifest.signatureFileName)
    }

    /// The batch folders in `path`: `path` itself when it is one, else its subfolders, by name.
    public static func batches(in path: String) throws -> [String] {
        if isBatch(path) { return [path] }
        var found: [String] = []
        try FileSystem.forEachName(in: path) { name, _ in
            if FileSystem.isDirectory(path + "/" + name) { found.append(name) }
        }
        return found.sorted().map { path + "/" + $0 }
    }

    /// True when `path` is a batch folder or holds batch folders (rather than a spool).
    public static func holdsBatches(_ path: String) throws -> Bool {
        if isBatch(path) { return true }
        var found = false
        try FileSystem.forEachName(in: path) { name, _ in
            if !found, FileSystem.isDirectory(path + "/" + name), isBatch(path + "/" + name) { found = true }
        }
        return found
    }

    /// - Parameter onValid: called with each entry that passed every check, in sequence order
    ///   (the uploader sends exactly these).
    public func verify(batch path: String, onValid: (SpoolEntry) throws -> Void = { _ in }) throws -> Report {
        var report = Report(batch: path)
        func problem(_ code: ProblemCode, _ file: String, _ message: String) {
            report.problems.append(SpoolProblem(code: code, file: file, message: message))
        }
        guard FileSystem.isDirectory(path) else { throw FileSystemError(path: path, operation: "open batch folder", errno: ENOTDIR) }
        if FileSystem.name(of: path).hasPrefix(DurableDirectory.temporaryPrefix) {
            problem(Self.incomplete, ".", "is the temporary folder of an export that did not finish; export again (the next export removes it)")
            return report
        }
        for name in [BatchManifest.fileName, BatchManifest.signatureFileName] where !FileSystem.exists(path + "/" + name) {
            problem(Self.incomplete, name, "is missing: the batch is incomplete (an export that did not finish, or files lost on the way); export again")
        }
        guard report.problems.isEmpty else { return report }

        let manifestBytes: [UInt8]
        let manifest: BatchManifest
        do {
            manifestBytes = try FileSystem.read(path + "/" + BatchManifest.fileName, maxBytes: BatchManifest.maxBytes)
            manifest = try BatchManifest.decode(manifestBytes)
        } catch let error as BatchManifestError {
            problem(error.code, BatchManifest.fileName, error.description)
            return report
        } catch {
            problem(.unreadable, BatchManifest.fileName, "\(error)")
            return report
        }
        report.installation = manifest.installation
        report.first = manifest.first
        report.last = manifest.last
        report.previous = manifest.previous
        report.head = manifest.head
        report.exported = manifest.exported
        do {
            let signature = try FileSystem.read(path + "/" + BatchManifest.signatureFileName, maxBytes: limits.maxSignatureBytes)
            try BatchManifest.verifySignature(manifest: manifestBytes, signatureText: signature, installation: manifest.installation, trust: trust)
        } catch let error as BatchManifestError {
            problem(error.code, BatchManifest.signatureFileName, error.description)
        } catch {
            problem(.unreadable, BatchManifest.signatureFileName, "\(error)")
        }

        // Files the manifest does not list: an entry past its last is beyond the head it signed.
        let listed = Set(manifest.files.map(\.name) + [BatchManifest.fileName, BatchManifest.signatureFileName])
        var unlisted: [String] = []
        try FileSystem.forEachName(in: path) { name, _ in
            if !listed.contains(name) { unlisted.append(name) }
        }
        for name in unlisted.sorted() {
            if let entry = EntryName(fileName: name), entry.installation == manifest.installation, entry.sequence > manifest.last {
                problem(
                    .beyondHead, name,
                    "is not in the manifest and comes after its last entry \(manifest.last) (head \(manifest.head)): added after the batch was signed")
            } else {
                problem(.extraFile, name, "is not listed in the manifest: added after the batch was signed")
            }
        }

        // Each listed file against its digest; entries are then checked as entries.
        var intact: Set<String> = []
        for file in manifest.files {
            let maxBytes = file.name.hasSuffix(EntryName.signatureSuffix) ? limits.maxSignatureBytes : limits.maxFileBytes
            guard FileSystem.exists(path + "/" + file.name) else {
                problem(.fileMissing, file.name, "is listed in the manifest but missing from the batch")
                continue
            }
            do {
                let bytes = try FileSystem.read(path + "/" + file.name, maxBytes: maxBytes)
                if EntryDigest.of(message: bytes) == file.sha256 {
                    intact.insert(file.name)
                } else {
                    problem(.digestMismatch, file.name, "SHA-256 differs from the manifest's: the file was changed")
                }
            } catch {
                problem(.unreadable, file.name, "\(error)")
            }
        }
        checkAllowedSigners(path, manifest, intact: intact, problem: problem)

        var previous: (sequence: UInt64, digest: EntryDigest)? = (manifest.first - 1, manifest.previous)
        for name in manifest.entryNames {
            guard intact.contains(name.entryFile), intact.contains(name.signatureFile) else {
                previous = nil
                continue
            }
            let entry: SpoolEntry
            do {
                entry = try SpoolEntry.open(
                    compressed: try FileSystem.read(path + "/" + name.entryFile, maxBytes: limits.maxFileBytes),
                    signatureText: try FileSystem.read(path + "/" + name.signatureFile, maxBytes: limits.maxSignatureBytes),
                    trust: trust, limits: limits)
            } catch let error as EntryProblem {
                problem(error.code, name.entryFile, error.description)
                previous = nil
                continue
            }
            guard entry.name == name else {
                problem(.nameMismatch, name.entryFile, "holds entry \(entry.name.stem): renamed or swapped")
                previous = nil
                continue
            }
            if let previous, entry.metadata.previous != previous.digest {
                let before =
                    previous.sequence == manifest.first - 1
                    ? "the manifest's previous link \(previous.digest)" : "entry \(previous.sequence)'s digest \(previous.digest)"
                problem(.chainBroken, name.entryFile, "links previous digest \(entry.metadata.previous), not \(before)")
            } else {
                report.validEntries += 1
                try onValid(entry)
            }
            if name.sequence == manifest.last, entry.digest != manifest.head {
                problem(.chainBroken, name.entryFile, "has digest \(entry.digest) but the manifest's head is \(manifest.head)")
            }
            previous = (name.sequence, entry.digest)
        }
        return report
    }

    /// The batch's allowed_signers must name the manifest's key for both namespaces: it is the
    /// file an auditor hands to `ssh-keygen -Y verify`.
    private func checkAllowedSigners(_ path: String, _ manifest: BatchManifest, intact: Set<String>, problem: (ProblemCode, String, String) -> Void) {
        let name = BatchManifest.allowedSignersFileName
        guard intact.contains(name),
            let signature = try? SpoolEntry.parseSignature(FileSystem.read(path + "/" + BatchManifest.signatureFileName, maxBytes: limits.maxSignatureBytes))
        else { return }
        do {
            let signers = try AllowedSigners(contentsOf: path + "/" + name)
            for namespace in [SpoolEntry.namespace, BatchManifest.namespace]
            where !signers.allows(signature.publicKey, principal: manifest.installation, namespace: namespace) {
                problem(
                    .allowedSignersMismatch, name,
                    "does not allow the manifest's key \(signature.publicKey.fingerprint) to sign \(namespace) for \(manifest.installation)")
            }
        } catch {
            problem(.allowedSignersMismatch, name, "\(error)")
        }
    }
}
