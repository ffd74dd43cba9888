import SpoolFormat

/// Everything `receiver serve` is told: where to listen, where to store, whom to trust, and the
/// faults to inject for tests.
public struct ReceiverConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; the address actually bound is reported to `onListening`.
    public var port: Int
    /// The SQLite database that stores reports and pinned keys.
    public var databasePath: String
    /// Keys allowed to sign, per installation. `nil`: trust on first use per installation.
    public var allowedSigners: AllowedSigners?
    /// Larger bodies are answered 413 without being read.
    public var maxBodyBytes: Int
    public var faults: FaultInjection
    /// Serve HTTPS with this certificate chain and key (PEM files); `nil`: plain HTTP.
    public var tls: TLSFiles?

    public struct TLSFiles: Sendable, Equatable {
        public var certificateChain: String
        public var privateKey: String

        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    public init(
        host: String = "127.0.0.1", port: Int = 8080, databasePath: String, allowedSigners: AllowedSigners? = nil,
        maxBodyBytes: Int = 1 << 20, faults: FaultInjection = FaultInjection(), tls: TLSFiles? = nil
    ) {
        self.tls = tls
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.allowedSigners = allowedSigners
        self.maxBodyBytes = maxBodyBytes
        self.faults = faults
    }
}
