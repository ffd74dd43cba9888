import SpoolFormat

/// Everything `receiver serve` is told: where to listen, where to store, whom to trust, and the
/// faults to inject for tests.
public struct ReceiverConfiguration: Sendable {
    public var host: String
    /// 0 picks a free port; the address actually bound is reported to `onListening`.
    public var port: Int
    /// The SQLite database that stores reports and pinned keys (unless `postgres` is set).
    public var databasePath: String
    /// The PostgreSQL database that stores reports and pinned keys instead of `databasePath`.
    public var postgres: PostgresLocation?
    /// Keys allowed to sign, per installation. `nil`: trust on first use per installation.
    public var allowedSigners: AllowedSigners?
    /// Larger bodies are answered 413 without being read.
    public var maxBodyBytes: Int
    public var faults: FaultInjection
    /// Limits that keep hostile or broken clients from holding the receiver's connections and memory.
    public var limits: ConnectionLimits
    /// Serve HTTPS with this certificate chain and key (PEM files); `nil`: plain HTTP.
    public var tls: TLSFiles?
    /// The bearer token the admin pages require; `nil`: open, allowed on loopback only.
    public var adminToken: AdminToken?

    public struct TLSFiles: Sendable, Equatable {
        public var certificateChain: String
        public var privateKey: String

        public init(certificateChain: String, privateKey: String) {
            self.certificateChain = certificateChain
            self.privateKey = privateKey
        }
    }

    public init(
        host: String = "127.0.0.1", port: Int = 8080, databasePath: String, postgres: PostgresLocation? = nil, allowedSigners: AllowedSigners? = nil,
        maxBodyBytes: Int = 1 << 20, faults: FaultInjection = FaultInjection(), tls: TLSFiles? = nil,
        limits: ConnectionLimits = ConnectionLimits(), adminToken: AdminToken? = nil
    ) {
        self.adminToken = adminToken
        self.limits = limits
        self.tls = tls
        self.host = host
        self.port = port
        self.databasePath = databasePath
        self.postgres = postgres
        self.allowedSigners = allowedSigners
        self.maxBodyBytes = maxBodyBytes
        self.faults = faults
    }
}

/// How long a client may take, and how many may be connected at once.
public struct ConnectionLimits: Sendable, Equatable {
    /// From the first byte of a request until its head (request line and header fields) is complete.
    public var headerTimeout: Duration
    /// From the end of the head until the whole body has arrived.
    public var bodyTimeout: Duration
    /// A connection with no request under way (before the first, or after an answer) is closed after this.
    public var idleTimeout: Duration
    /// Connections open at once; beyond it new connections wait in the listen backlog.
    public var maxConnections: Int
    /// After SIGTERM or SIGINT, requests under way get this long; then the remaining connections are closed.
    public var shutdownTimeout: Duration

    public init(
        headerTimeout: Duration = .seconds(10), bodyTimeout: Duration = .seconds(30), idleTimeout: Duration = .seconds(60),
        maxConnections: Int = 512, shutdownTimeout: Duration = .seconds(5)
    ) {
        self.headerTimeout = headerTimeout
        self.bodyTimeout = bodyTimeout
        self.idleTimeout = idleTimeout
        self.maxConnections = maxConnections
        self.shutdownTimeout = shutdownTimeout
    }
}
