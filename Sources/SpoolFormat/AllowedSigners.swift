import FoundationEssentials

#if canImport(Glibc)
    import Glibc
#endif

/// Decides which keys may sign entries, and for which installations.
public protocol SignerTrust: Sendable {
    /// True when `key` may sign in `namespace` for `principal` (an installation ID).
    func allows(_ key: SSHPublicKey, principal: String, namespace: String) -> Bool
    /// True when `key` may sign in `namespace` for at least one principal.
    func knows(_ key: SSHPublicKey, namespace: String) -> Bool
}

/// Trust in exactly one key for exactly one installation: a spool's own key pair.
public struct SingleSignerTrust: SignerTrust {
    public let key: SSHPublicKey
    public let principal: String

    public init(key: SSHPublicKey, principal: String) {
        self.key = key
        self.principal = principal
    }

    public func allows(_ key: SSHPublicKey, principal: String, namespace: String) -> Bool {
        key == self.key && principal == self.principal
    }

    public func knows(_ key: SSHPublicKey, namespace: String) -> Bool { key == self.key }
}

/// An OpenSSH allowed_signers file (ssh-keygen(1), "ALLOWED SIGNERS"), Ed25519 keys only.
///
/// Each line is `PRINCIPALS [OPTIONS] KEYTYPE BASE64 [COMMENT]`. Principals are comma-separated
/// patterns; the `namespaces="…"` option limits the namespaces a key may sign in. Lines with
/// other key types are skipped (they cannot have signed an entry); `cert-authority` lines are
/// refused because entries are signed by plain keys.
public struct AllowedSigners: SignerTrust {
    public struct Signer: Sendable, Equatable {
        public var principals: [String]
        public var namespaces: [String]?
        public var key: SSHPublicKey
    }

    public let signers: [Signer]
    /// Far above any real list of keys; a bound so that a wrong path cannot exhaust memory.
    public static let maxFileBytes = 4 << 20

    public init(signers: [Signer]) { self.signers = signers }

    public init(contentsOf path: String) throws {
        let data: [UInt8]
        do {
            data = try RegularFile.read(path, maxBytes: Self.maxFileBytes, followSymlinks: true)
        } catch {
            throw AllowedSignersError(file: path, line: nil, reason: error.reason)
        }
        try self.init(bytes: data, file: path)
    }

    public init(text: String, file: String = "allowed_signers") throws {
        try self.init(bytes: Array(text.utf8), file: file)
    }

    /// Reads the file's bytes: LF or CRLF line ends (as ssh-keygen accepts them) and an optional
    /// UTF-8 byte-order mark; a stray carriage return or invalid UTF-8 is refused, naming the line.
    public init(bytes: [UInt8], file: String = "allowed_signers") throws {
        let lines: [String]
        do {
            lines = try TextRules.lines(bytes)
        } catch {
            throw AllowedSignersError(file: file, line: error.line, reason: "the file \(error.description)")
        }
        var signers: [Signer] = []
        for (index, rawLine) in lines.enumerated() {
            let line = rawLine.trimmingWhitespace()
            if line.isEmpty || line.hasPrefix("#") { continue }
            do {
                if let signer = try Self.parse(line: line) { signers.append(signer) }
            } catch let failure as LineError {
                throw AllowedSignersError(file: file, line: index + 1, reason: failure.reason)
            }
        }
        self.signers = signers
    }

    /// One line for this file format.
    public static func line(principal: String, namespace: String, key: SSHPublicKey) -> String {
        "\(principal) namespaces=\"\(namespace)\" \(key.openSSHLine())"
    }

    public func allows(_ key: SSHPublicKey, principal: String, namespace: String) -> Bool {
        signers.contains { signer in
            signer.key == key
                && (signer.namespaces.map { Self.matches(namespace, patterns: $0) } ?? true)
                && Self.matches(principal, patterns: signer.principals)
        }
    }

    public func knows(_ key: SSHPublicKey, namespace: String) -> Bool {
        signers.contains { $0.key == key && ($0.namespaces.map { Self.matches(namespace, patterns: $0) } ?? true) }
    }

    private static func matches(_ value: String, patterns: [String]) -> Bool {
        patterns.contains { fnmatch($0, value, 0) == 0 }
    }

    private static func parse(line: String) throws -> Signer? {
        var rest = Substring(line)
        func nextToken() -> Substring? {
            rest = rest.drop(while: { $0 == " " || $0 == "\t" })
            guard !rest.isEmpty else { return nil }
            var end = rest.startIndex
            var quoted = false
            while end < rest.endIndex, quoted || (rest[end] != " " && rest[end] != "\t") {
                if rest[end] == "\"" { quoted.toggle() }
                end = rest.index(after: end)
            }
            defer { rest = rest[end...] }
            return rest[rest.startIndex..<end]
        }
        guard let principalsField = nextToken(), var token = nextToken() else {
            throw LineError("expected 'PRINCIPALS [OPTIONS] KEYTYPE KEY'")
        }
        var namespaces: [String]?
        let keyTypes = ["ssh-", "ecdsa-", "sk-"]
        if !keyTypes.contains(where: { token.hasPrefix($0) }) {
            for option in splitOptions(token) {
                let lower = option.lowercased()
                if lower == "cert-authority" { throw LineError("cert-authority keys are not supported") }
                if lower.hasPrefix("namespaces=") {
                    let value = option.dropFirst("namespaces=".count).trimmingScalars { $0 == "\"" }
                    namespaces = value.split(separator: ",").map(String.init)
                }
            }
            guard let next = nextToken() else { throw LineError("missing key type after options") }
            token = next
        }
        guard token == SSHPublicKey.algorithm else { return nil }
        guard let keyText = nextToken() else { throw LineError("missing key after '\(token)'") }
        do {
            let key = try SSHPublicKey(openSSHLine: "\(token) \(keyText)")
            return Signer(principals: principalsField.split(separator: ",").map(String.init), namespaces: namespaces, key: key)
        } catch let error as SSHKeyError {
            throw LineError(error.description)
        }
    }

    private static func splitOptions(_ field: Substring) -> [String] {
        var options: [String] = []
        var current = ""
        var quoted = false
        for ch in field {
            if ch == "\"" { quoted.toggle() }
            if ch == ",", !quoted {
                options.append(current)
                current = ""
            } else {
                current.append(ch)
            }
        }
        options.append(current)
        return options
    }
}

public struct AllowedSignersError: Error, Equatable, Sendable, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var reason: String

    public var description: String {
        "\(PrintableText.path(file))\(line.map { ":\($0)" } ?? ""): \(reason)"
    }
}

private struct LineError: Error {
    var reason: String
    init(_ reason: String) { self.reason = reason }
}
