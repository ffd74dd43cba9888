import Crypto
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The bearer token that opens the receiver's admin pages (`/`, `/summary`, `/metrics`,
/// `/reports.ndjson`), read from `--admin-token-file`.
///
/// Only the token's SHA-256 digest is kept: comparing digests takes the same time whatever the
/// presented token holds, so response times tell nothing about how much of it was right.
public struct AdminToken: Sendable {
    private let digest: SHA256.Digest

    /// The token itself, as given (tests and tools that make one).
    public init(_ token: String) throws(AdminTokenError) {
        try self.init(bytes: Array(token.utf8), source: "the admin token")
    }

    /// Reads the token from a file only its owner may read.
    ///
    /// - Throws: ``AdminTokenError`` naming the file when it cannot be read, is readable by group
    ///   or others, is empty, or holds anything but one line of visible ASCII (one trailing newline
    ///   is allowed).
    public init(contentsOf path: String) throws(AdminTokenError) {
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw AdminTokenError(description: "\(path): cannot read the admin token file (\(String(cString: strerror(errno))))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw AdminTokenError(description: "\(path): the admin token file is not a regular file")
        }
        guard status.st_mode & 0o077 == 0 else {
            let mode = String(status.st_mode & 0o777, radix: 8)
            throw AdminTokenError(
                description: "\(path): the admin token file is readable by group or others (mode \(mode)); make it private: chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw AdminTokenError(description: "\(path): cannot read the admin token file")
        }
        try self.init(bytes: Array(data), source: path)
    }

    private init(bytes: [UInt8], source: String) throws(AdminTokenError) {
        var token = bytes[...]
        if token.last == 0x0a { token = token.dropLast() }
        guard !token.isEmpty else { throw AdminTokenError(description: "\(source): the admin token is empty") }
        guard token.count <= 4096 else { throw AdminTokenError(description: "\(source): the admin token is longer than 4096 bytes") }
        // What a header field can carry unquoted and a shell copies intact: visible ASCII, no spaces.
        if let index = token.firstIndex(where: { !(0x21...0x7e).contains($0) }) {
            throw AdminTokenError(
                description:
                    "\(source): the admin token holds byte 0x\(String(token[index], radix: 16)) at offset \(index); use visible ASCII only (e.g. openssl rand -hex 32)"
            )
        }
        digest = SHA256.hash(data: token)
    }

    /// Whether `presented` is the token, in time independent of where they differ.
    public func matches(_ presented: some Sequence<UInt8>) -> Bool {
        // swift-crypto compares digests in constant time.
        SHA256.hash(data: Array(presented)) == digest
    }
}

public struct AdminTokenError: Error, CustomStringConvertible {
    public var description: String
}
