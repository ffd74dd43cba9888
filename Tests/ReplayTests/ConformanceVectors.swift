import Crypto
import Foundation
import SpoolFormat
import SpoolProtocol

/// Writes the conformance vectors of docs/CONFORMANCE.md: small spools and entry requests, each with
/// its expected verdict. Deterministic (fixed throwaway keys, fixed times; Ed25519 signatures are
/// deterministic), so a second run writes the same bytes.
enum ConformanceVectors {
    /// Throwaway keys with published seeds: they sign nothing but these vectors.
    static let keyA = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0xA1, count: 32))
    static let keyB = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0xB2, count: 32))
    static let keyC = try! Curve25519.Signing.PrivateKey(rawRepresentation: [UInt8](repeating: 0xC3, count: 32))
    static let installationA = "aaaaaaaa-aaaa-4aaa-8aaa-aaaaaaaaaaaa"
    static let installationB = "bbbbbbbb-bbbb-4bbb-8bbb-bbbbbbbbbbbb"
    static let created = Date(timeIntervalSince1970: 1_795_000_000)

    /// `allowed_signers`: key A for installation A, key B for installation B; key C is trusted by no one.
    static var allowedSigners: String {
        [(installationA, keyA), (installationB, keyB)].map { installation, key in
            "\(installation) namespaces=\"\(SpoolEntry.namespace)\" \(SSHPublicKey(key.publicKey).openSSHLine(comment: nil))"
        }.joined(separator: "\n") + "\n"
    }

    /// One entry's parts, before and after signing; the edits make the hostile variants.
    struct Entry {
        var line: [UInt8]
        var body: [UInt8]
        var signingKey = keyA
        var namespace = SpoolEntry.namespace

        var message: [UInt8] { line + [0x0a] + body }
        var digest: EntryDigest { .of(message: message) }
        var signature: SSHSignature { try! SSHSignature.sign(message, namespace: namespace, key: signingKey) }
        var compressed: [UInt8] { try! Gzip.compressMember(line + [0x0a]) + Gzip.compressMember(body) }
        var armored: [UInt8] { Array(signature.armored.utf8) }

        /// Replaces `old` by `new` in the metadata line (once); the signature is made afterwards.
        func editing(_ old: String, _ new: String) -> Entry {
            var copy = self
            let text = String(decoding: line, as: UTF8.self)
            precondition(text.contains(old), "\(old) not in \(text)")
            copy.line = Array(text.replacingOccurrences(of: old, with: new).utf8)
            return copy
        }
    }

    static func entry(
        _ sequence: UInt64, previous: EntryDigest? = nil, installation: String = installationA, key: Curve25519.Signing.PrivateKey = keyA,
        kind: EntryKind = .report, body: [UInt8]? = nil, path: String = "/api/telemetry"
    ) -> Entry {
        let body = body ?? Array(#"{"metrics":{"users":\#(sequence)},"schema":1}"#.utf8) + [0x0a]
        let metadata = EntryMetadata(
            kind: kind, installation: installation, sequence: sequence, created: created.addingTimeInterval(Double(sequence) * 3600),
            productVersion: "1.2.3", schema: 1, previous: sequence == 1 ? .genesis : (previous ?? .genesis),
            key: SSHPublicKey(key.publicKey).fingerprint, request: ReplayRequest(path: path), body: body)
        return Entry(line: try! metadata.encodedLine(), body: body, signingKey: key)
    }

    /// Entries 1...n of installation A, linked.
    static func chain(_ count: UInt64, installation: String = installationA, key: Curve25519.Signing.PrivateKey = keyA) -> [Entry] {
        var entries: [Entry] = []
        for sequence in 1...count {
            entries.append(entry(sequence, previous: entries.last?.digest, installation: installation, key: key))
        }
        return entries
    }

    static func tombstone(_ sequence: UInt64, dropped: SequenceRange, previous: EntryDigest? = nil) -> Entry {
        let body = try! TombstoneBody(
            installation: installationA, dropped: dropped, entries: Int(dropped.last - dropped.first + 1),
            bytes: 1000, reason: .maxBytes, limit: 100_000
        ).encoded()
        return entry(sequence, previous: previous ?? EntryDigest.of(message: Array("lost \(sequence - 1)".utf8)), kind: .tombstone, body: body)
    }

    /// A spool case: files by name, and the expected verdict.
    struct SpoolCase {
        var name: String
        var files: [String: [UInt8]] = [:]
        var problems: [(code: String, file: String)] = []
        var losses: [(tombstone: UInt64, first: UInt64, last: UInt64)] = []

        mutating func add(_ entry: Entry, as sequence: UInt64? = nil, entryFile: [UInt8]? = nil, signatureFile: [UInt8]? = nil) {
            let name = EntryName(installation: installationOf(entry), sequence: sequence ?? sequenceOf(entry))
            files[name.entryFile] = entryFile ?? entry.compressed
            files[name.signatureFile] = signatureFile ?? entry.armored
        }

        mutating func expect(_ code: String, _ file: String) { problems.append((code, file)) }
    }

    static func installationOf(_ entry: Entry) -> String {
        String(decoding: entry.line, as: UTF8.self).components(separatedBy: #""installation":""#)[1].components(separatedBy: "\"")[0]
    }

    static func sequenceOf(_ entry: Entry) -> UInt64 {
        UInt64(String(decoding: entry.line, as: UTF8.self).components(separatedBy: #""sequence":"#)[1].prefix { $0.isNumber })!
    }

    static func file(_ sequence: UInt64, _ suffix: String = ".json.gz", installation: String = installationA) -> String {
        let name = EntryName(installation: installation, sequence: sequence)
        return suffix == ".sig" ? name.signatureFile : name.entryFile
    }

    /// A deterministic incompressible filler.
    static func noise(_ count: Int) -> [UInt8] {
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        return (0..<count).map { _ in
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return UInt8(truncatingIfNeeded: state >> 33)
        }
    }

    /// A one-entry spool whose entry 1 is `entry`, expected to yield `code` on `file` (default: its `.json.gz`).
    static func single(
        _ name: String, _ entry: Entry, _ code: String, file: String? = nil,
        entryFile: [UInt8]? = nil, signatureFile: [UInt8]? = nil
    ) -> SpoolCase {
        var c = SpoolCase(name: name)
        c.add(entry, as: 1, entryFile: entryFile, signatureFile: signatureFile)
        c.expect(code, file ?? Self.file(1))
        return c
    }

    static var spoolCases: [SpoolCase] {
        var cases: [SpoolCase] = []
        let three = chain(3)

        var clean = SpoolCase(name: "clean")
        three.forEach { clean.add($0) }
        chain(2, installation: installationB, key: keyB).forEach { clean.add($0) }
        cases.append(clean)

        var gap = SpoolCase(name: "sequence_gap")
        let four = chain(4)
        [four[0], four[1], four[3]].forEach { gap.add($0) }
        gap.expect("sequence_gap", file(4))
        cases.append(gap)

        var fork = SpoolCase(name: "chain_broken_fork")
        let other2 = entry(2, previous: three[0].digest, body: Array("{\"other\":2}\n".utf8))
        [three[0], other2, three[2]].forEach { fork.add($0) }
        fork.expect("chain_broken", file(3))
        cases.append(fork)

        var invalidMiddle = SpoolCase(name: "invalid_entry_in_chain")
        invalidMiddle.add(three[0])
        invalidMiddle.add(three[1], signatureFile: three[0].armored)
        invalidMiddle.add(three[2])
        invalidMiddle.expect("signature_invalid", file(2))
        cases.append(invalidMiddle)

        var declared = SpoolCase(name: "tombstone_declared_loss")
        let stone = tombstone(5, dropped: SequenceRange(first: 1, last: 4))
        declared.add(stone)
        declared.add(entry(6, previous: stone.digest))
        declared.losses = [(5, 1, 4)]
        cases.append(declared)

        var declaredGap = SpoolCase(name: "tombstone_declares_gap")
        four.forEach { declaredGap.add($0) }
        declaredGap.add(tombstone(7, dropped: SequenceRange(first: 5, last: 6)))
        declaredGap.losses = [(7, 5, 6)]
        cases.append(declaredGap)

        var pruned = SpoolCase(name: "leftover_pruned")
        let stone4 = tombstone(4, dropped: SequenceRange(first: 1, last: 2), previous: three[2].digest)
        three.forEach { pruned.add($0) }
        pruned.add(stone4)
        pruned.losses = [(4, 1, 2)]
        pruned.expect("leftover_pruned", file(1))
        cases.append(pruned)

        var badStone = SpoolCase(name: "tombstone_invalid")
        badStone.add(three[0])
        let badBody = try! TombstoneBody(
            installation: installationA, dropped: SequenceRange(first: 2, last: 2), entries: 1, bytes: 1, reason: .maxAge, limit: 1
        ).encoded()
        badStone.add(entry(2, previous: three[0].digest, kind: .tombstone, body: badBody))
        badStone.expect("tombstone_invalid", file(2))
        cases.append(badStone)

        let one = chain(1)[0]
        cases.append(single("too_large_entry_file", one, "too_large", entryFile: [UInt8](repeating: 0, count: (1 << 20) + 1)))
        cases.append(single("too_large_signature_file", one, "too_large", file: file(1, ".sig"), signatureFile: [UInt8](repeating: 0x41, count: 4097)))
        cases.append(single("too_large_ratio", entry(1, body: [UInt8](repeating: 0x20, count: 1 << 20) + [0x0a]), "too_large"))
        cases.append(single("too_large_decompressed", entry(1, body: noise(40_000) + [UInt8](repeating: 0x20, count: 8 << 20)), "too_large"))
        cases.append(single("too_large_metadata_line", one.editing("{", "{" + String(repeating: " ", count: 17_000)), "too_large"))

        var crc = one.compressed
        crc[crc.count - 5] ^= 0x01
        cases.append(single("gzip_invalid_crc", one, "gzip_invalid", entryFile: crc))
        cases.append(single("gzip_invalid_third_member", one, "gzip_invalid", entryFile: one.compressed + (try! Gzip.compressMember([0x0a]))))
        cases.append(
            single(
                "metadata_missing", one, "metadata_missing",
                entryFile: try! Gzip.compressMember(one.line) + Gzip.compressMember([0x0a] + one.body)))
        let wrapped64 = String(decoding: one.armored, as: UTF8.self).replacingOccurrences(of: "\n", with: "")
            .replacingOccurrences(of: "-----BEGIN SSH SIGNATURE-----", with: "").replacingOccurrences(of: "-----END SSH SIGNATURE-----", with: "")
        var lines64 = ["-----BEGIN SSH SIGNATURE-----"]
        var rest = Substring(wrapped64)
        while !rest.isEmpty {
            lines64.append(String(rest.prefix(64)))
            rest = rest.dropFirst(64)
        }
        lines64.append("-----END SSH SIGNATURE-----")
        cases.append(
            single(
                "signature_malformed_wrap", one, "signature_malformed", file: file(1, ".sig"),
                signatureFile: Array((lines64.joined(separator: "\n") + "\n").utf8)))
        cases.append(
            single(
                "signature_malformed_no_final_newline", one, "signature_malformed", file: file(1, ".sig"),
                signatureFile: Array(one.armored.dropLast())))
        var namespaced = one
        namespaced.namespace = "file"
        cases.append(single("signature_namespace", namespaced, "signature_namespace", file: file(1, ".sig")))
        var changed = one
        changed.body = Array(#"{"metrics":{"users":9},"schema":1}"#.utf8) + [0x0a]
        cases.append(single("signature_invalid", one, "signature_invalid", entryFile: changed.compressed))
        cases.append(single("key_untrusted", entry(1, key: keyC), "key_untrusted"))
        cases.append(single("key_wrong_installation", entry(1, key: keyB), "key_wrong_installation"))
        var mismatch = entry(1, key: keyB)
        mismatch.signingKey = keyA
        cases.append(single("key_mismatch", mismatch, "key_mismatch"))
        cases.append(single("format_unsupported", one.editing(#""format":1"#, #""format":2"#), "format_unsupported"))
        cases.append(single("metadata_invalid_unknown_field", one.editing(#""format":1"#, #""extra":true,"format":1"#), "metadata_invalid"))
        cases.append(single("metadata_invalid_format_1.0", one.editing(#""format":1"#, #""format":1.0"#), "metadata_invalid"))
        cases.append(single("metadata_invalid_format_1e0", one.editing(#""format":1"#, #""format":1e0"#), "metadata_invalid"))
        cases.append(single("metadata_invalid_sequence_1.0", one.editing(#""sequence":1"#, #""sequence":1.0"#), "metadata_invalid"))
        cases.append(single("metadata_invalid_duplicate_key", one.editing(#""format":1"#, #""format":1,"format":1"#), "metadata_invalid"))
        var bom = one
        bom.line = TextRules.byteOrderMark + one.line
        cases.append(single("metadata_invalid_byte_order_mark", bom, "metadata_invalid"))
        cases.append(single("request_path_invalid", entry(1, path: "/api/../telemetry"), "request_path_invalid"))
        cases.append(single("body_mismatch", one.editing(#""bodyLength":"#, #""bodyLength":1"#), "body_mismatch"))

        var renamed = SpoolCase(name: "name_mismatch")
        renamed.add(three[0])
        renamed.add(three[1])
        renamed.add(three[0], as: 3)
        renamed.expect("name_mismatch", file(3))
        cases.append(renamed)

        var sigOnly = SpoolCase(name: "entry_missing")
        three.forEach { sigOnly.add($0) }
        sigOnly.files[file(2)] = nil
        sigOnly.expect("entry_missing", file(2, ".sig"))
        cases.append(sigOnly)

        var incomplete = SpoolCase(name: "leftover_incomplete")
        three.forEach { incomplete.add($0) }
        incomplete.files[file(3, ".sig")] = nil
        incomplete.expect("leftover_incomplete", file(3))
        cases.append(incomplete)

        var temporary = SpoolCase(name: "leftover_temporary")
        temporary.add(one)
        temporary.files[".tmp-\(file(2))-x1y2z3"] = [1, 2, 3]
        temporary.expect("leftover_temporary", ".tmp-\(file(2))-x1y2z3")
        cases.append(temporary)

        var stray = SpoolCase(name: "stray_file")
        stray.add(one)
        stray.files["notes.txt"] = Array("hello\n".utf8)
        stray.expect("stray_file", "notes.txt")
        cases.append(stray)
        return cases
    }

    /// A request case: the request line and header fields, the body, and the expected answer.
    struct RequestCase {
        var name: String
        var request: EntryRequest
        var status: Int
        var code: String?
    }

    static var requestCases: [RequestCase] {
        let one = entry(1)
        func request(_ entry: Entry, edit: (inout EntryRequest) -> Void = { _ in }) -> EntryRequest {
            let metadata = try! EntryMetadata.decode(line: entry.line)
            var request = EntryRequest(
                method: metadata.request.method, path: metadata.request.path,
                headers: [
                    .init(name: EntryHeaders.contentType, value: metadata.request.contentType),
                    .init(name: EntryHeaders.metadata, value: StrictBase64.encode(entry.line)),
                    .init(name: EntryHeaders.signature, value: StrictBase64.encode(entry.signature.blob)),
                    .init(name: EntryHeaders.idempotencyKey, value: entry.digest.description),
                ], body: entry.body)
            edit(&request)
            return request
        }
        /// A request whose metadata line is not a valid one, signed all the same.
        func raw(_ entry: Entry) -> EntryRequest {
            EntryRequest(
                method: "POST", path: "/api/telemetry",
                headers: [
                    .init(name: EntryHeaders.contentType, value: "application/json"),
                    .init(name: EntryHeaders.metadata, value: StrictBase64.encode(entry.line)),
                    .init(name: EntryHeaders.signature, value: StrictBase64.encode(entry.signature.blob)),
                    .init(name: EntryHeaders.idempotencyKey, value: entry.digest.description),
                ], body: entry.body)
        }
        func set(_ name: String, _ value: String?) -> (inout EntryRequest) -> Void {
            { request in
                request.headers.removeAll { $0.name == name }
                if let value { request.headers.append(.init(name: name, value: value)) }
            }
        }
        var namespaced = one
        namespaced.namespace = "file"
        let blobB64 = StrictBase64.encode(one.signature.blob)
        var cases: [RequestCase] = [
            .init(name: "good_report", request: request(one), status: 201),
            .init(name: "good_tombstone", request: request(tombstone(5, dropped: SequenceRange(first: 1, last: 4))), status: 201),
            .init(name: "metadata_header_missing", request: request(one, edit: set(EntryHeaders.metadata, nil)), status: 400, code: "metadata_header_missing"),
            .init(
                name: "metadata_header_invalid", request: request(one, edit: set(EntryHeaders.metadata, "eyJ")), status: 400, code: "metadata_header_invalid"),
            .init(
                name: "signature_header_missing", request: request(one, edit: set(EntryHeaders.signature, nil)), status: 400, code: "signature_header_missing"),
            .init(
                name: "signature_header_invalid", request: request(one, edit: set(EntryHeaders.signature, String(blobB64.dropLast(2)) + "=")),
                status: 400, code: "signature_header_invalid"),
            .init(
                name: "signature_malformed", request: request(one, edit: set(EntryHeaders.signature, StrictBase64.encode(Array("SSHSIG".utf8)))),
                status: 400, code: "signature_malformed"),
            .init(
                name: "idempotency_key_missing", request: request(one, edit: set(EntryHeaders.idempotencyKey, nil)), status: 400,
                code: "idempotency_key_missing"),
            .init(
                name: "idempotency_key_invalid", request: request(one, edit: set(EntryHeaders.idempotencyKey, "sha256:XYZ")), status: 400,
                code: "idempotency_key_invalid"),
            .init(
                name: "idempotency_key_mismatch", request: request(one, edit: set(EntryHeaders.idempotencyKey, EntryDigest.genesis.description)),
                status: 400, code: "idempotency_key_mismatch"),
            .init(name: "request_mismatch", request: request(one) { $0.path = "/api/other" }, status: 400, code: "request_mismatch"),
            .init(
                name: "content_type_mismatch", request: request(one, edit: set(EntryHeaders.contentType, "text/plain")), status: 400,
                code: "content_type_mismatch"),
            .init(name: "signature_namespace", request: request(namespaced), status: 403, code: "signature_namespace"),
            .init(
                name: "signature_invalid", request: request(one) { $0.body = Array(#"{"metrics":{"users":9},"schema":1}"#.utf8) + [0x0a] },
                status: 403, code: "signature_invalid"),
            .init(name: "key_untrusted", request: request(entry(1, key: keyC)), status: 403, code: "key_untrusted"),
            .init(name: "key_wrong_installation", request: request(entry(1, key: keyB)), status: 403, code: "key_wrong_installation"),
            .init(name: "format_unsupported", request: raw(one.editing(#""format":1"#, #""format":2"#)), status: 400, code: "format_unsupported"),
            .init(name: "metadata_invalid_format_1.0", request: raw(one.editing(#""format":1"#, #""format":1.0"#)), status: 400, code: "metadata_invalid"),
            .init(
                name: "metadata_invalid_duplicate_key", request: raw(one.editing(#""format":1"#, #""format":1,"format":1"#)), status: 400,
                code: "metadata_invalid"),
            .init(name: "too_large_metadata_line", request: raw(one.editing("{", "{" + String(repeating: " ", count: 17_000))), status: 400, code: "too_large"),
            .init(name: "request_path_invalid", request: raw(entry(1, path: "/api/../telemetry")), status: 400, code: "request_path_invalid"),
            .init(name: "body_mismatch", request: raw(one.editing(#""bodyLength":"#, #""bodyLength":1"#)), status: 400, code: "body_mismatch"),
            .init(
                name: "tombstone_invalid", request: request(entry(2, kind: .tombstone, body: Array("{\"type\":\"tombstone\"}\n".utf8))),
                status: 400, code: "tombstone_invalid"),
        ]
        var mismatch = entry(1, key: keyB)
        mismatch.signingKey = keyA
        cases.append(.init(name: "key_mismatch", request: raw(mismatch), status: 400, code: "key_mismatch"))
        cases.append(
            .init(
                name: "body_too_large", request: request(one) { $0.body = [UInt8](repeating: 0x20, count: (1 << 20) + 1) },
                status: 413, code: "body_too_large"))
        return cases
    }

    // MARK: Files

    static func expectation(_ c: SpoolCase) -> [UInt8] {
        let problems = c.problems.map { #"    {"code": "\#($0.code)", "file": "\#($0.file)"}"# }
        let losses = c.losses.map { #"    {"installation": "\#(installationA)", "tombstone": \#($0.tombstone), "first": \#($0.first), "last": \#($0.last)}"# }
        func list(_ items: [String]) -> String { items.isEmpty ? "[]" : "[\n" + items.joined(separator: ",\n") + "\n  ]" }
        return Array("{\n  \"exit\": \(c.problems.isEmpty ? 0 : 1),\n  \"problems\": \(list(problems)),\n  \"declaredLosses\": \(list(losses))\n}\n".utf8)
    }

    /// The request as text: the request line without version, then one `Name: value` line per field.
    static func requestText(_ request: EntryRequest) -> [UInt8] {
        var lines: [String] = ["\(request.method) \(request.path)"]
        for header in request.headers { lines.append("\(header.name): \(header.value)") }
        return Array((lines.joined(separator: "\n") + "\n").utf8)
    }

    static func parseRequest(head: String, body: [UInt8]) -> EntryRequest {
        let lines = head.split(separator: "\n").map(String.init)
        let start = lines[0].split(separator: " ", maxSplits: 1).map(String.init)
        let headers = lines.dropFirst().map { line -> EntryRequest.Header in
            let parts = line.split(separator: ":", maxSplits: 1).map(String.init)
            return .init(name: parts[0], value: String(parts[1].dropFirst()))
        }
        return EntryRequest(method: start[0], path: start[1], headers: headers, body: body)
    }

    /// Every file of the vectors, by path relative to the vectors' folder.
    static var files: [String: [UInt8]] {
        var files: [String: [UInt8]] = [:]
        for c in spoolCases {
            files["spools/\(c.name)/allowed_signers"] = Array(allowedSigners.utf8)
            files["spools/\(c.name)/expected.json"] = expectation(c)
            for (name, bytes) in c.files { files["spools/\(c.name)/spool/\(name)"] = bytes }
        }
        files["requests/allowed_signers"] = Array(allowedSigners.utf8)
        for c in requestCases {
            files["requests/\(c.name)/request"] = requestText(c.request)
            files["requests/\(c.name)/body"] = c.request.body
            files["requests/\(c.name)/expected.json"] = Array("{\"status\": \(c.status), \"code\": \(c.code.map { "\"\($0)\"" } ?? "null")}\n".utf8)
        }
        return files
    }
}
