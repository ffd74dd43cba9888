import Foundation
import GRDB
import SequenceDatabase
import SpoolFormat
import SpoolProtocol
import SpoolStore

/// The uploader's retry ledger: a SQLite database (GRDB, WAL, `synchronous = FULL`).
///
/// One row per entry ever seen (installation, sequence, digest, state, next attempt time, the
/// reason of a rejection or quarantine), every attempt (time, status, error, latency) and the
/// keys pinned per installation under trust on first use.
///
/// Crash safety: the ledger never records that a request is in flight. An entry stays pending or
/// retrying until its answer is committed, so after a crash at any point the next run sends again
/// what may not have arrived; the receiver deduplicates by `Idempotency-Key`.
public final class Ledger: Sendable {
    public let path: String
    let pool: DatabasePool

    /// The default: `$UPLOADER_LEDGER`, else `$XDG_STATE_HOME/telemetry-spool/uploader-ledger.sqlite`,
    /// else `~/.local/state/telemetry-spool/uploader-ledger.sqlite`.
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["UPLOADER_LEDGER"], !explicit.isEmpty { return explicit }
        if let xdg = environment["XDG_STATE_HOME"], !xdg.isEmpty { return xdg + "/telemetry-spool/uploader-ledger.sqlite" }
        return (environment["HOME"] ?? NSHomeDirectory()) + "/.local/state/telemetry-spool/uploader-ledger.sqlite"
    }

    /// Opens (creating if needed) the ledger at `path`.
    /// - Parameter readOnly: read an existing ledger: create nothing, migrate nothing.
    public init(path: String, readOnly: Bool = false) throws {
        self.path = path
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        // Always opened read-write: a read-only WAL database cannot be opened once its -shm file is gone.
        if !readOnly {
            let directory = FileSystem.directory(containing: path)
            if !directory.isEmpty, !FileManager.default.fileExists(atPath: directory) {
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = FULL")
            }
        }
        // A page cache of 1 MiB per connection (SQLite's default is 2 MiB): the uploader appends
        // rows and looks them up by index, so a larger cache only fills with pages it will not
        // read again, and each connection's cache grows with the ledger up to its limit.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA cache_size = -1024")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            if readOnly {
                // An empty file opens as an empty database: without the tables it is no ledger.
                guard try pool.read({ try $0.tableExists("entry") }) else {
                    throw LedgerError(path: path, kind: .damaged, reason: "holds no uploader ledger (an empty file, or another database)")
                }
            } else {
                try Self.migrator.migrate(pool)
            }
        } catch {
            throw LedgerError(path: path, error)
        }
    }

    /// Reads in a snapshot; a failure of the database becomes a ``LedgerError`` naming the ledger.
    func read<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.read(body) } catch { throw LedgerError(path: path, error) }
    }

    /// Writes in one transaction; a failure of the database becomes a ``LedgerError`` naming the ledger.
    func write<T>(_ body: (Database) throws -> T) throws -> T {
        do { return try pool.write(body) } catch { throw LedgerError(path: path, error) }
    }

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE entry (
                        id INTEGER PRIMARY KEY,
                        digest TEXT UNIQUE,
                        installation TEXT NOT NULL,
                        sequence INTEGER NOT NULL,
                        file TEXT NOT NULL,
                        state TEXT NOT NULL,
                        attempts INTEGER NOT NULL DEFAULT 0,
                        nextAttempt REAL,
                        lastStatus INTEGER,
                        lastError TEXT,
                        reason TEXT,
                        productVersion TEXT,
                        firstSeen REAL NOT NULL,
                        updated REAL NOT NULL,
                        deliveredAt REAL
                    );
                    CREATE INDEX entry_installation ON entry (installation, sequence);
                    CREATE INDEX entry_state ON entry (state);
                    CREATE TABLE attempt (
                        id INTEGER PRIMARY KEY,
                        entry INTEGER NOT NULL REFERENCES entry (id),
                        at REAL NOT NULL,
                        status INTEGER,
                        error TEXT,
                        latencyMs REAL NOT NULL
                    );
                    CREATE INDEX attempt_entry ON attempt (entry);
                    \(SequenceSchema.pinnedKeyTable)
                    """)
        }
        SequenceSchema.registerDeclaredLosses(in: &migrator)
        migrator.registerMigration("v3 pin origin") { db in
            // How a key was pinned: by an installation's first accepted entry, or `uploader trust`.
            try db.execute(sql: "ALTER TABLE pinnedKey ADD COLUMN origin TEXT NOT NULL DEFAULT 'first use'")
        }
        LedgerCounts.register(in: &migrator)
        return migrator
    }

    // MARK: Pins

    public func pins() throws -> [String: SSHPublicKey] {
        try read { db in
            var pins: [String: SSHPublicKey] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT installation, publicKey FROM pinnedKey") {
                let line: String = row["publicKey"]
                pins[row["installation"]] = try SSHPublicKey(openSSHLine: line)
            }
            return pins
        }
    }

    // MARK: Registering a scan

    /// An entry to send in this run.
    public struct Work: Sendable {
        public var id: Int64
        public var name: EntryName
        public var digest: EntryDigest
        /// The key the scan verified the entry with.
        public var key: SSHPublicKey
        public var attempts: Int
        public var due: Date
        /// When the ledger first saw the entry: give-up is by age.
        public var firstSeen: Date
        /// The verified entry, when the scan kept it in memory.
        public var entry: SpoolEntry?
        /// The folder holding the entry's files (the spool, or its batch folder).
        public var folder: String
    }

    /// What the ledger already knew about a scan's entries.
    public struct Registration: Sendable {
        public var work: [Work] = []
        public var alreadyDelivered = 0
        public var alreadyRejected = 0
        public var quarantined = 0
    }

    /// Records a scan in one transaction: new entries as pending, quarantined ones with their
    /// reason, and the keys pinned by the scan. Returns the entries still to send.
    /// - Parameter retryRejected: give rejected entries (dead letters) of the scan a fresh start:
    ///   pending again, attempts counted from zero (their past attempts stay recorded).
    public func register(_ scan: SpoolScan, now: Date = Date(), retryRejected: Bool = false) throws -> Registration {
        var registration = try register(accepted: scan.accepted, pins: scan.newPins, now: now, retryRejected: retryRejected)
        registration.quarantined += try register(quarantined: scan.quarantined, declaredLosses: scan.report.declaredLosses, now: now)
        return registration
    }

    /// Records accepted entries (one batch of a scan) in one transaction, and the pins of their
    /// installations (trust on first use; an existing pin is kept). Returns the entries to send.
    public func register(
        accepted: [SpoolScan.Accepted], pins: [String: SSHPublicKey], now: Date = Date(),
        retryRejected: Bool = false
    ) throws -> Registration {
        try write { db in
            let time = now.timeIntervalSince1970
            var registration = Registration()
            for (installation, key) in pins {
                try db.execute(
                    sql: """
                        INSERT INTO pinnedKey (installation, publicKey, fingerprint, pinnedAt) VALUES (?, ?, ?, ?)
                        ON CONFLICT (installation) DO NOTHING
                        """, arguments: [installation, key.openSSHLine(), key.fingerprint, time])
            }
            let insert = try db.cachedStatement(
                sql: """
                    INSERT INTO entry (digest, installation, sequence, file, state, productVersion, firstSeen, updated)
                    VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)
                    ON CONFLICT (digest) DO UPDATE SET file = excluded.file,
                        state = CASE WHEN state = 'quarantined' OR (?8 AND state = 'rejected') THEN 'pending' ELSE state END,
                        reason = CASE WHEN state = 'quarantined' OR (?8 AND state = 'rejected') THEN NULL ELSE reason END,
                        attempts = CASE WHEN ?8 AND state = 'rejected' THEN 0 ELSE attempts END,
                        nextAttempt = CASE WHEN ?8 AND state = 'rejected' THEN NULL ELSE nextAttempt END
                    RETURNING id, state, attempts, nextAttempt, firstSeen
                    """)
            // A valid entry supersedes the quarantine verdicts of earlier scans on the same file
            // (unreadable then, fixed since): status shows the latest verdict, counted once.
            let superseded = try db.cachedStatement(
                sql: """
                    DELETE FROM entry WHERE state = 'quarantined' AND installation = ? AND sequence = ? AND digest IS NOT ?
                        AND NOT EXISTS (SELECT 1 FROM attempt WHERE attempt.entry = entry.id)
                    """)
            // Only installations with quarantined entries can have verdicts to supersede: the kept
            // counts spare every other entry a search.
            let withQuarantine = try Set(
                String.fetchAll(db, sql: "SELECT installation FROM entryCount WHERE state = 'quarantined' AND entries > 0"))
            for entry in accepted {
                if withQuarantine.contains(entry.name.installation) {
                    try superseded.execute(arguments: [entry.name.installation, Int64(entry.name.sequence), entry.digest.description])
                }
                let row = try Row.fetchOne(
                    insert,
                    arguments: [
                        entry.digest.description, entry.name.installation, Int64(entry.name.sequence), entry.name.entryFile,
                        entry.productVersion, time, time, retryRejected,
                    ])!
                switch LedgerEntryState(rawValue: row["state"]) ?? .pending {
                case .delivered: registration.alreadyDelivered += 1
                case .rejected: registration.alreadyRejected += 1
                case .quarantined: registration.quarantined += 1
                case .pending, .retrying:
                    let next: Double? = row["nextAttempt"]
                    registration.work.append(
                        Work(
                            id: row["id"], name: entry.name, digest: entry.digest, key: entry.key, attempts: row["attempts"],
                            due: next.map { Date(timeIntervalSince1970: $0) } ?? now,
                            firstSeen: Date(timeIntervalSince1970: row["firstSeen"]), entry: entry.entry, folder: entry.folder))
                }
            }
            return registration
        }
    }

    /// Records quarantined entries with their reasons, and the losses tombstones declare, in one
    /// transaction. Returns how many entries are quarantined.
    public func register(quarantined: [SpoolScan.Quarantined], declaredLosses: [SpoolVerifier.Report.DeclaredLoss], now: Date = Date()) throws -> Int {
        try write { db in
            let time = now.timeIntervalSince1970
            // Sequences that tombstones declare removed on purpose: lost, not missing.
            for loss in declaredLosses {
                try db.execute(
                    sql: "INSERT OR IGNORE INTO declaredLoss (installation, tombstone, first, last, reason) VALUES (?, ?, ?, ?, ?)",
                    arguments: [loss.installation, Int64(loss.tombstone), Int64(loss.dropped.first), Int64(loss.dropped.last), loss.reason.rawValue])
            }
            for entry in quarantined {
                let reason = "\(entry.code): \(entry.message)"
                if let digest = entry.digest {
                    try db.execute(
                        sql: """
                            INSERT INTO entry (digest, installation, sequence, file, state, reason, firstSeen, updated)
                            VALUES (?, ?, ?, ?, 'quarantined', ?, ?, ?)
                            ON CONFLICT (digest) DO UPDATE SET state = 'quarantined', reason = excluded.reason, updated = excluded.updated
                            WHERE state IN ('pending', 'retrying', 'quarantined')
                            """, arguments: [digest.description, entry.name.installation, Int64(entry.name.sequence), entry.name.entryFile, reason, time, time])
                } else {
                    // Unreadable entries have no digest: one row per file name, with the latest reason.
                    let existing = try Int64.fetchOne(
                        db,
                        sql: """
                            SELECT id FROM entry WHERE digest IS NULL AND state = 'quarantined' AND installation = ? AND sequence = ?
                            """, arguments: [entry.name.installation, Int64(entry.name.sequence)])
                    if let existing {
                        try db.execute(
                            sql: "UPDATE entry SET reason = ?, file = ?, updated = ? WHERE id = ?",
                            arguments: [reason, entry.name.entryFile, time, existing])
                    } else {
                        try db.execute(
                            sql: """
                                INSERT INTO entry (digest, installation, sequence, file, state, reason, firstSeen, updated)
                                VALUES (NULL, ?, ?, ?, 'quarantined', ?, ?, ?)
                                """, arguments: [entry.name.installation, Int64(entry.name.sequence), entry.name.entryFile, reason, time, time])
                    }
                }
            }
            return quarantined.count
        }
    }

    // MARK: Attempts

    /// The result of one attempt, as the ledger records it.
    public struct AttemptRecord: Sendable {
        public var entry: Int64
        public var at: Date
        public var status: Int?
        public var error: String?
        public var latency: TimeInterval
        /// The state after the attempt, with the next attempt time when retrying and the reason
        /// when rejected or quarantined.
        public var state: LedgerEntryState
        public var nextAttempt: Date?
        public var reason: String?
        /// False for checks that fail before anything is sent (the file changed): no attempt row.
        public var sent: Bool = true
        /// False for a failure while the endpoint answers nothing at all: recorded, but not counted
        /// against the entry (an outage is the endpoint's problem, not the entry's).
        public var counted: Bool = true
        /// Why a request got no answer, in words for the user; not stored (``error`` holds its message).
        public var diagnosis: FailureDiagnosis?

        public init(
            entry: Int64, at: Date, status: Int? = nil, error: String? = nil, latency: TimeInterval,
            state: LedgerEntryState, nextAttempt: Date? = nil, reason: String? = nil, sent: Bool = true
        ) {
            self.entry = entry
            self.at = at
            self.status = status
            self.error = error
            self.latency = latency
            self.state = state
            self.nextAttempt = nextAttempt
            self.reason = reason
            self.sent = sent
        }
    }

    /// Records attempts and their entries' new states in one transaction.
    public func record(_ attempts: [AttemptRecord]) throws {
        guard !attempts.isEmpty else { return }
        try write { db in
            let insert = try db.cachedStatement(sql: "INSERT INTO attempt (entry, at, status, error, latencyMs) VALUES (?, ?, ?, ?, ?)")
            let update = try db.cachedStatement(
                sql: """
                    UPDATE entry SET state = ?, attempts = attempts + ?, nextAttempt = ?, lastStatus = coalesce(?, lastStatus),
                        lastError = ?, reason = coalesce(?, reason), updated = ?,
                        deliveredAt = CASE WHEN ? = 'delivered' THEN ? ELSE deliveredAt END
                    WHERE id = ?
                    """)
            for attempt in attempts {
                let at = attempt.at.timeIntervalSince1970
                if attempt.sent {
                    try insert.execute(arguments: [attempt.entry, at, attempt.status, attempt.error, attempt.latency * 1000])
                }
                try update.execute(arguments: [
                    attempt.state.rawValue, attempt.sent && attempt.counted ? 1 : 0, attempt.nextAttempt?.timeIntervalSince1970, attempt.status,
                    attempt.error, attempt.reason, at, attempt.state.rawValue, at, attempt.entry,
                ])
            }
        }
    }

    /// Every recorded attempt of the entry with `digest`, oldest first (for tests and audits).
    public func attempts(digest: EntryDigest) throws -> [(at: Date, status: Int?, error: String?)] {
        try read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT attempt.at, attempt.status, attempt.error FROM attempt JOIN entry ON entry.id = attempt.entry
                    WHERE entry.digest = ? ORDER BY attempt.id
                    """, arguments: [digest.description]
            ).map { (Date(timeIntervalSince1970: $0["at"]), $0["status"], $0["error"]) }
        }
    }
}

/// A ledger that cannot be used, said without SQL: which ledger, what is wrong, what to do.
public struct LedgerError: Error, CustomStringConvertible {
    public enum Kind: Sendable {
        /// Not a readable SQLite database, or not a ledger: move it aside.
        case damaged
        /// Locked by another process for longer than we wait: try again later.
        case busy
        /// Any other failure (a directory that cannot be created, a full disk).
        case failed
    }

    public var path: String
    public var kind: Kind
    public var reason: String

    public init(path: String, kind: Kind, reason: String) {
        self.path = path
        self.kind = kind
        self.reason = reason
    }

    /// Classifies a failure of the database; a ``LedgerError`` passes through unchanged.
    init(path: String, _ error: any Error) {
        if let error = error as? LedgerError {
            self = error
            return
        }
        guard let error = error as? DatabaseError else {
            self.init(path: path, kind: .failed, reason: "\(error)")
            return
        }
        switch error.resultCode {
        case .SQLITE_CORRUPT, .SQLITE_NOTADB, .SQLITE_FORMAT:
            self.init(path: path, kind: .damaged, reason: "is not a readable SQLite database")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            self.init(path: path, kind: .busy, reason: "is locked by another process")
        case .SQLITE_CANTOPEN, .SQLITE_PERM, .SQLITE_READONLY, .SQLITE_AUTH:
            self.init(path: path, kind: .failed, reason: "cannot be opened for reading and writing")
        case .SQLITE_FULL, .SQLITE_IOERR:
            self.init(path: path, kind: .failed, reason: "cannot be written (disk full or I/O error)")
        default:
            self.init(path: path, kind: .failed, reason: error.message ?? "SQLite error \(error.resultCode.rawValue)")
        }
    }

    public var description: String {
        let path = PrintableText.path(self.path)
        switch kind {
        case .damaged:
            return "ledger \(path) is damaged: it \(reason). Move it aside for inspection and run upload again: "
                + "a new ledger is made, entries are sent again and the endpoint stores each once "
                + "(or choose another file with --ledger FILE or UPLOADER_LEDGER)"
        case .busy:
            return "ledger \(path) \(reason); try again once it is done"
        case .failed:
            return "ledger \(path) \(reason). Choose another file with --ledger FILE or UPLOADER_LEDGER"
        }
    }
}
