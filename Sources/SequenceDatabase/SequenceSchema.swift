import GRDB

/// The SQLite schema that the uploader's ledger and the receiver's store share: both pin one key
/// per installation, record the losses tombstones declare, and find the gaps in the sequences
/// they hold. One definition, so the two databases cannot drift apart.
public enum SequenceSchema {
    /// The table of pinned keys, created by each database's first migration.
    public static let pinnedKeyTable = """
        CREATE TABLE pinnedKey (
            installation TEXT PRIMARY KEY,
            publicKey TEXT NOT NULL,
            fingerprint TEXT NOT NULL,
            pinnedAt REAL NOT NULL
        );
        """

    /// Registers the "v2 declared losses" migration: one row per tombstone, the range it declares.
    public static func registerDeclaredLosses(in migrator: inout DatabaseMigrator) {
        migrator.registerMigration("v2 declared losses") { db in
            try db.execute(
                sql: """
                    CREATE TABLE declaredLoss (
                        installation TEXT NOT NULL,
                        tombstone INTEGER NOT NULL,
                        first INTEGER NOT NULL,
                        last INTEGER NOT NULL,
                        reason TEXT NOT NULL,
                        PRIMARY KEY (installation, tombstone)
                    );
                    """)
        }
    }

    /// A query for the missing ranges (`installation`, `first`, `last`) of the sequences that
    /// `rows` (a table or a subquery with `installation` and `sequence` columns) holds, counting
    /// from 1, in installation and sequence order. Standard SQL: PostgreSQL runs it too.
    public static func gapsQuery(over rows: String) -> String {
        """
        SELECT installation, previous + 1 AS first, sequence - 1 AS last FROM (
            SELECT installation, sequence,
                   LAG(sequence, 1, 0) OVER (PARTITION BY installation ORDER BY sequence) AS previous
            FROM \(rows)) AS ordered
        WHERE sequence > previous + 1 ORDER BY installation, first
        """
    }
}
