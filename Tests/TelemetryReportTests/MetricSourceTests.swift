import CSQLite
import Foundation
import TestSupport
import Testing

@testable import TelemetryReport

/// Creates a SQLite database file for the tests (the spooler itself never writes one).
func makeDatabase(_ path: String, _ sql: String) throws {
    var handle: OpaquePointer?
    guard sqlite3_open(path, &handle) == SQLITE_OK else { throw SourceFailure("test_setup") }
    defer { sqlite3_close(handle) }
    guard sqlite3_exec(handle, sql, nil, nil, nil) == SQLITE_OK else { throw SourceFailure("test_setup") }
}

@Suite("sqlite source")
struct SQLiteSourceTests {
    let work: TemporaryDirectory
    let path: String

    init() throws {
        work = try TemporaryDirectory("sqlite")
        path = work.file("product.db")
        try makeDatabase(
            path,
            """
            CREATE TABLE machines (id INTEGER PRIMARY KEY, name TEXT, kind TEXT);
            INSERT INTO machines (name, kind) VALUES ('web-1', 'ssh'), ('web-2', 'ssh'), ('db-1', 'kubernetes');
            """)
    }

    @Test("one value, or (kind, count) rows as an object", .timeLimit(.minutes(1)))
    func shapes() throws {
        let database = try SQLiteDatabase(path: path)
        #expect(try database.value(of: "SELECT COUNT(*) FROM machines") == .integer(3))
        #expect(try database.value(of: "SELECT kind, COUNT(*) FROM machines GROUP BY kind") == .object(["ssh": .integer(2), "kubernetes": .integer(1)]))
        #expect(try database.value(of: "SELECT kind, COUNT(*) FROM machines WHERE 0 GROUP BY kind") == .object([:]))
        #expect(try database.value(of: "SELECT name FROM machines WHERE id = 1") == .string("web-1"))
    }

    @Test("the file is opened read-only: writing statements are refused and the file is unchanged", .timeLimit(.minutes(1)))
    func readOnly() throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: path))
        let database = try SQLiteDatabase(path: path)
        for statement in [
            "DELETE FROM machines", "INSERT INTO machines (name) VALUES ('x')", "DROP TABLE machines", "CREATE TABLE t (x)", "PRAGMA user_version = 7",
        ] {
            #expect(throws: SourceFailure.self) { try database.value(of: statement) }
        }
        #expect(throws: SourceFailure.queryNotReadOnly) { try database.value(of: "DELETE FROM machines") }
        #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before)
        #expect(try database.value(of: "SELECT COUNT(*) FROM machines") == .integer(3))
    }

    @Test(
        "failures have codes",
        arguments: [
            ("SELECT COUNT(*) FROM nowhere", SourceFailure.queryError),
            ("SELECT 1; DELETE FROM machines", .queryError),
            ("SELECT id, name, kind FROM machines", .wrongShape),
            ("SELECT name FROM machines", .tooManyRows),
            ("SELECT NULL", .noValue),
            ("SELECT name FROM machines WHERE 0", .noValue),
            ("SELECT 'ssh', 1 UNION ALL SELECT 'ssh', 2", .duplicateKind),
            ("SELECT 1, 2", .wrongShape),
            ("SELECT x'00ff'", .wrongShape),
            ("ATTACH DATABASE 'other.db' AS other", .wrongShape),
        ])
    func failures(sql: String, failure: SourceFailure) throws {
        let database = try SQLiteDatabase(path: path)
        #expect(throws: failure) { try database.value(of: sql) }
    }

    @Test("a missing database file is reported, never created", .timeLimit(.minutes(1)))
    func missing() {
        #expect(throws: SourceFailure.databaseMissing) { try SQLiteDatabase(path: work.file("absent.db")) }
        #expect(!FileManager.default.fileExists(atPath: work.file("absent.db")))
    }
}

@Suite("command and file sources")
struct CommandSourceTests {
    let work: TemporaryDirectory

    init() throws { work = try TemporaryDirectory("command") }

    func script(_ name: String, _ body: String) throws -> String {
        let path = work.file(name)
        try ("#!/bin/sh\n" + body + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        chmod(path, 0o755)
        return path
    }

    @Test("reads one JSON value from stdout, in the configured directory", .timeLimit(.minutes(1)))
    func reads() throws {
        let path = try script("ok.sh", "echo '{\"count\": 7, \"here\": \"'$(basename $(pwd))'\"}'")
        let value = try CommandRunner(directory: work.path).run(["sh", "./ok.sh"], timeout: 5)
        #expect(value == .object(["count": .integer(7), "here": .string((work.path as NSString).lastPathComponent)]))
        #expect(try CommandRunner(directory: "/").run(["sh", path], timeout: 5).select(field: "count") == .integer(7))
    }

    @Test("a program that outlives its time limit is killed, with its children", .timeLimit(.minutes(1)))
    func timeout() throws {
        let path = try script("slow.sh", "sleep 30 & sleep 30")
        let start = Date()
        #expect(throws: SourceFailure.commandTimeout) { try CommandRunner().run(["sh", path], timeout: 0.3) }
        #expect(Date().timeIntervalSince(start) < 5)
    }

    @Test(
        "hostile output: huge, deeply nested, many elements, not JSON",
        arguments: [
            ("yes 1 | head -c 1000000", "output_too_large"),
            ("yes '[1,' | head -c 10000000", "output_too_large"),
            ("printf '%0.s[' $(seq 1 50); printf '%0.s]' $(seq 1 50)", "json_too_deep"),
            ("printf '{\"a\":'; printf '%0.s{\"a\":' $(seq 1 20); printf 1; printf '%0.s}' $(seq 1 21)", "json_too_deep"),
            ("echo 'machines: 12'", "invalid_json"),
            ("echo '{\"a\": 1} trailing'", "invalid_json"),
            ("echo NaN", "invalid_json"),
            ("echo 5; exit 3", "command_failed"),
            ("kill -9 $$", "command_failed"),
        ])
    func hostile(body: String, code: String) throws {
        let path = try script("hostile.sh", body)
        // Through sh, not exec'd directly: a script written while a parallel test forks can be ETXTBSY.
        let failure = #expect(throws: SourceFailure.self) { try CommandRunner().run(["sh", path], timeout: 10) }
        #expect(failure?.code == code)
    }

    @Test("a program that does not exist", .timeLimit(.minutes(1)))
    func notFound() {
        #expect(throws: SourceFailure.commandNotFound) { try CommandRunner().run(["no-such-program-here"], timeout: 1) }
        #expect(throws: SourceFailure.commandNotFound) { try CommandRunner(directory: work.path).run(["./absent.sh"], timeout: 1) }
    }

    @Test("file source: bounded, strict, with field selection", .timeLimit(.minutes(1)))
    func file() throws {
        try #"{"events": {"task_failed": 2}}"#.write(toFile: work.file("events.json"), atomically: true, encoding: .utf8)
        #expect(try FileSource().read(work.file("events.json")).select(field: "events") == .object(["task_failed": .integer(2)]))
        #expect(throws: SourceFailure.fieldMissing) { try FileSource().read(work.file("events.json")).select(field: "other") }
        #expect(throws: SourceFailure.fileMissing) { try FileSource().read(work.file("absent.json")) }
        try String(repeating: " ", count: 70_000).write(toFile: work.file("big.json"), atomically: true, encoding: .utf8)
        #expect(throws: SourceFailure.fileTooLarge) { try FileSource().read(work.file("big.json")) }
        #expect(throws: SourceFailure.fileUnreadable) { try FileSource().read(work.path) }
    }
}
