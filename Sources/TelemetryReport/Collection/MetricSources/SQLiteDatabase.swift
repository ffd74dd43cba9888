import CSQLite
import FoundationEssentials
import SpoolFormat

#if canImport(Glibc)
    import Glibc
#endif

/// A database for `sqlite` sources: a file opened read-only, or an in-memory database built from
/// a SQL script (for demos and tests). Queries run with `PRAGMA query_only`, and a statement
/// that could write is refused before it runs.
public final class SQLiteDatabase {
    public static let maxRows = 1_000
    public static let maxTextBytes = 256
    private var handle: OpaquePointer?

    /// How long one query may run, as long as a command source by default: a huge table or a
    /// pathological query must not hold up the report.
    public var timeLimit: Double = CommandRunner.defaultTimeout
    /// When the running query must stop; read by the progress handler.
    private var deadline: Double = .infinity

    /// Opens a database file with `SQLITE_OPEN_READONLY`; never creates it.
    public init(path: String) throws(SourceFailure) {
        guard FileManager.default.fileExists(atPath: path) else { throw .databaseMissing }
        // SQLite's own open would wait for ever on a FIFO.
        do { try RegularFile.check(path) } catch { throw .databaseError }
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            sqlite3_close(handle)
            handle = nil
            throw .databaseError
        }
        try prepareForQueries()
    }

    /// Builds an in-memory database from `script` (SQL statements), then makes it read-only.
    public init(script: String) throws(SourceFailure) {
        let data: [UInt8]
        do {
            data = try RegularFile.read(script, maxBytes: 16 << 20, followSymlinks: true)
        } catch {
            if error.errno == ENOENT { throw .databaseMissing }
            throw error.limit != nil ? .fileTooLarge : .databaseError
        }
        guard sqlite3_open_v2(":memory:", &handle, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK else {
            sqlite3_close(handle)
            handle = nil
            throw .databaseError
        }
        // The script builds this in-memory database only: it cannot attach (and so create) files.
        sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0)
        guard sqlite3_exec(handle, String(decoding: data, as: UTF8.self), nil, nil, nil) == SQLITE_OK else { throw .databaseError }
        try prepareForQueries()
    }

    deinit { sqlite3_close(handle) }

    private func prepareForQueries() throws(SourceFailure) {
        sqlite3_limit(handle, SQLITE_LIMIT_ATTACHED, 0)
        sqlite3_busy_timeout(handle, 2_000)
        guard sqlite3_exec(handle, "PRAGMA query_only = ON", nil, nil, nil) == SQLITE_OK else { throw .databaseError }
        // Every 10,000 virtual machine steps SQLite asks whether to go on; past the deadline the
        // query is interrupted (SQLITE_INTERRUPT).
        sqlite3_progress_handler(
            handle, 10_000,
            { context in
                let database = Unmanaged<SQLiteDatabase>.fromOpaque(context!).takeUnretainedValue()
                return SQLiteDatabase.now() > database.deadline ? 1 : 0
            }, Unmanaged.passUnretained(self).toOpaque())
    }

    static func now() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// Runs one read-only statement: one row of one column gives that value; rows of two columns
    /// (kind, count) give an object.
    public func value(of sql: String) throws(SourceFailure) -> JSONValue {
        var statement: OpaquePointer?
        var tail: UnsafePointer<CChar>?
        let prepared = sql.withCString { text in
            let status = sqlite3_prepare_v2(handle, text, -1, &statement, &tail)
            let rest = tail.map { String(cString: $0) } ?? ""
            return status == SQLITE_OK && rest.allSatisfy { $0.isWhitespace || $0 == ";" }
        }
        defer {
            sqlite3_finalize(statement)
            deadline = .infinity
        }
        guard prepared, let statement else { throw .queryError }
        deadline = Self.now() + timeLimit
        guard sqlite3_stmt_readonly(statement) != 0 else { throw .queryNotReadOnly }
        let columns = sqlite3_column_count(statement)
        guard columns == 1 || columns == 2 else { throw .wrongShape }
        var rows: [[JSONValue]] = []
        while true {
            let status = sqlite3_step(statement)
            if status == SQLITE_DONE { break }
            if status == SQLITE_INTERRUPT { throw .queryTimeout }
            guard status == SQLITE_ROW else { throw .queryError }
            guard rows.count < Self.maxRows else { throw .tooManyRows }
            rows.append(try (0..<columns).map { column throws(SourceFailure) in try Self.column(statement, column) })
        }
        if columns == 1 {
            guard rows.count <= 1 else { throw .tooManyRows }
            guard let value = rows.first?.first, value != .null else { throw .noValue }
            return value
        }
        var object: [String: JSONValue] = [:]
        for row in rows {
            guard case .string(let kind) = row[0] else { throw .wrongShape }
            guard object[kind] == nil else { throw .duplicateKind }
            object[kind] = row[1]
        }
        return .object(object)
    }

    static func column(_ statement: OpaquePointer, _ index: Int32) throws(SourceFailure) -> JSONValue {
        switch sqlite3_column_type(statement, index) {
        case SQLITE_INTEGER: return .integer(sqlite3_column_int64(statement, index))
        case SQLITE_FLOAT: return .number(sqlite3_column_double(statement, index))
        case SQLITE_NULL: return .null
        case SQLITE_TEXT:
            let length = Int(sqlite3_column_bytes(statement, index))
            guard length <= maxTextBytes, let text = sqlite3_column_text(statement, index) else { throw .wrongShape }
            return .string(String(decoding: UnsafeBufferPointer(start: text, count: length), as: UTF8.self))
        default:
            throw .wrongShape
        }
    }
}
